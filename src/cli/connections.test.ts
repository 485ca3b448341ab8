import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-connections-'));
  env = { LATCH_DATA_DIR: dataDir, LATCH_ISSUER: 'https://id.example', LATCH_SECRET: randomBytes(32).toString('base64url') };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[], stdin?: string) => runLatch(argv, stdin === undefined ? { env } : { env, stdin });

const github = [
  'connections', 'create', '--id', 'github', '--name', 'GitHub', '--type', 'oauth2', '--client-id', 'Iv1.abc',
  '--authorization-endpoint', 'https://github.example/login/oauth/authorize',
  '--token-endpoint', 'https://github.example/login/oauth/access_token',
  '--userinfo-endpoint', 'https://api.github.example/user',
  '--scope', 'read:user user:email', '--map', 'sub=id', '--map', 'name=login',
];

describe('latch connections', () => {
  it('create prints the callback URL; the secret from stdin is sealed and never printed', async () => {
    const created = await latch([...github, '--client-secret-stdin'], 'gh-secret-value\n');
    expectCode(created, 0);
    expect(created.stdout).toContain('Register this callback (redirect) URL at the provider: https://id.example/federation/github/callback');
    expect(created.stdout).toContain('claim mapping: sub<-id name<-login');
    expect(created.stdout).not.toContain('gh-secret-value');
    const store = await openMigratedStore({ dataDir });
    try {
      const record = (await store.connections.find('github'))!;
      expect(record.scopes).toEqual(['read:user', 'user:email']);
      expect(record.clientSecretEncrypted).toMatch(/^ey/);
      expect(record.clientSecretEncrypted).not.toContain('gh-secret-value');
    } finally {
      await store.close();
    }
    const shown = await latch(['connections', 'show', 'github', '--json']);
    expectCode(shown, 0);
    expect(shown.json()).toMatchObject({ id: 'github', has_client_secret: true, callback_url: 'https://id.example/federation/github/callback' });
    expect(shown.stdout).not.toContain('gh-secret');
  });

  it('reads the secret from a file; list, update --disable, delete', async () => {
    const file = join(dataDir, 'github.secret');
    await writeFile(file, 'from-a-file\n');
    expectCode(await latch([...github, '--client-secret-file', file]), 0);
    const list = await latch(['connections', 'list']);
    expect(list.stdout).toMatch(/github\s+GitHub\s+oauth2\s+yes/);
    const disabled = await latch(['connections', 'update', 'github', '--disable', '--json']);
    expectCode(disabled, 0);
    expect(disabled.json()).toMatchObject({ enabled: false });
    const deleted = await latch(['connections', 'delete', 'github', '--json']);
    expect(deleted.json()).toEqual({ deleted: true, id: 'github' });
    const missing = await latch(['connections', 'show', 'github']);
    expectCode(missing, 1);
    expect(missing.stderr).toContain('connection not found: github');
  });

  it('names the flag of a wrong input', async () => {
    const noEndpoint = await latch(['connections', 'create', '--id', 'x', '--name', 'X', '--type', 'oauth2', '--client-id', 'c']);
    expectCode(noEndpoint, 1);
    expect(noEndpoint.stderr).toContain('--authorization-endpoint');
    const http = await latch(['connections', 'create', '--id', 'x', '--name', 'X', '--client-id', 'c', '--issuer', 'http://idp.example']);
    expectCode(http, 1);
    expect(http.stderr).toMatch(/issuer.*https/);
    expectCode(await latch(['connections', 'create', '--name', 'X']), 2);
    const missingFile = await latch([...github, '--client-secret-file', join(dataDir, 'nope')]);
    expectCode(missingFile, 1);
    expect(missingFile.stderr).toContain('ENOENT');
  });

  it('users identities and users unlink', async () => {
    expectCode(await latch([...github]), 0);
    expectCode(await latch(['users', 'create', '--email', 'ada@example.com', '--password-stdin'], 'correct horse battery staple'), 0);
    const store = await openMigratedStore({ dataDir });
    try {
      const ada = (await store.users.findByEmail('ada@example.com'))!;
      await store.identities.create({ connectionId: 'github', upstreamSub: '583231', sub: ada.sub, email: 'ada@github.example', createdAt: 1_700_000_000, lastUsedAt: null });
    } finally {
      await store.close();
    }
    const listed = await latch(['users', 'identities', 'ada@example.com']);
    expectCode(listed, 0);
    expect(listed.stdout).toMatch(/github\s+583231\s+ada@github\.example/);
    const wrong = await latch(['users', 'unlink', 'ada@example.com', 'github', 'other']);
    expectCode(wrong, 1);
    expectCode(await latch(['users', 'unlink', 'ada@example.com', 'github', '583231']), 0);
    expect((await latch(['users', 'identities', 'ada@example.com', '--json'])).json()).toEqual({ identities: [] });
  });
});
