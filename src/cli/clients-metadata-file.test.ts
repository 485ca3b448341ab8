import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-metadata-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const document = {
  client_name: 'From a file',
  redirect_uris: ['https://file.example.test/cb'],
  scope: 'openid email',
  require_auth_time: true,
  default_max_age: 900,
  dpop_bound_access_tokens: true,
  backchannel_logout_uri: 'https://file.example.test/backchannel',
  contacts: ['ops@example.test'],
};

describe('latch clients create --metadata-file', () => {
  it('takes an RFC 7591 document from a file: its members win over the type\'s defaults (scope replaces them)', async () => {
    const file = join(dataDir, 'client.json');
    await writeFile(file, JSON.stringify(document));
    const result = await runLatch(['clients', 'create', '--type', 'web', '--metadata-file', file, '--json'], { env });
    expectCode(result, 0);
    const client = result.json();
    expect(client).toMatchObject({ client_name: 'From a file', scope: 'openid email', require_auth_time: true, default_max_age: 900, dpop_bound_access_tokens: true, latch_client_kind: 'web' });
    expect(typeof client.client_secret).toBe('string');
    const store = await openMigratedStore({ dataDir });
    try {
      expect((await store.clients.find(client.client_id as string))?.metadata.backchannel_logout_uri).toBe('https://file.example.test/backchannel');
    } finally {
      await store.close();
    }
  });

  it('reads stdin with -, and --name and the other flags win over the file', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'Named by flag', '--type', 'spa', '--metadata-file', '-', '--redirect-uri', 'http://localhost:5173/cb', '--json'], {
      env,
      stdin: JSON.stringify(document),
    });
    expectCode(result, 0);
    expect(result.json()).toMatchObject({ client_name: 'Named by flag', redirect_uris: ['http://localhost:5173/cb'], token_endpoint_auth_method: 'none', latch_client_kind: 'spa' });
  });

  it('refuses an unknown member (a typo), an invalid value naming the member, and a file that is not JSON; nothing is created', async () => {
    const typo = await runLatch(['clients', 'create', '--type', 'web', '--metadata-file', '-'], { env, stdin: JSON.stringify({ ...document, redirect_uri: ['https://x.example.test/cb'] }) });
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/redirect_uri/);
    const wrong = await runLatch(['clients', 'create', '--type', 'web', '--metadata-file', '-'], { env, stdin: JSON.stringify({ ...document, jwks_uri: 'http://keys.example.test/jwks' }) });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/jwks_uri/);
    const broken = await runLatch(['clients', 'create', '--type', 'web', '--metadata-file', '-'], { env, stdin: '{ not json' });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/--metadata-file/);
    const listed = await runLatch(['clients', 'list', '--json'], { env });
    expect((listed.json() as { clients: unknown[] }).clients).toHaveLength(0);
  });

  it('clients update --metadata-file: named members replace, null removes, fixed and unknown members are refused', async () => {
    const created = await runLatch(['clients', 'create', '--type', 'web', '--metadata-file', '-', '--json'], { env, stdin: JSON.stringify(document) });
    expectCode(created, 0);
    const id = created.json().client_id as string;
    const updated = await runLatch(['clients', 'update', id, '--metadata-file', '-', '--json'], { env, stdin: JSON.stringify({ client_name: 'Renamed', dpop_bound_access_tokens: null, default_max_age: 60 }) });
    expectCode(updated, 0);
    const client = updated.json();
    expect(client).toMatchObject({ client_name: 'Renamed', default_max_age: 60, require_auth_time: true, scope: 'openid email' });
    expect(client.dpop_bound_access_tokens).toBeUndefined();
    for (const [doc, member] of [[{ token_endpoint_auth_method: 'none' }, '--auth-method: cannot be changed'], [{ client_nme: 'x' }, 'client_nme'], [{ redirect_uris: null }, '--redirect-uri']] as const) {
      const refused = await runLatch(['clients', 'update', id, '--metadata-file', '-'], { env, stdin: JSON.stringify(doc) });
      expect(refused.code, member).not.toBe(0);
      expect(refused.stderr, member).toContain(member);
    }
  });
});
