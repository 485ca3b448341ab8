import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-apis-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[]) => runLatch(argv, { env });

describe('latch apis', () => {
  it('create --json prints the API with its defaults (JWT, ES256, 3600 s)', async () => {
    const result = await latch(['apis', 'create', '--identifier', 'https://photos.example', '--scope', 'read:photos', '--scope', 'write:photos', '--json']);
    expectCode(result, 0);
    expect(result.json()).toMatchObject({
      identifier: 'https://photos.example',
      name: 'photos.example',
      scopes: ['read:photos', 'write:photos'],
      token_format: 'jwt',
      access_token_ttl: 3600,
      signing_alg: 'ES256',
    });
  });

  it('create in text, then list, show and delete', async () => {
    const created = await latch(['apis', 'create', '--identifier', 'https://videos.example/api', '--name', 'Videos', '--scope', 'read:videos', '--token-format', 'opaque', '--ttl', '600']);
    expectCode(created, 0);
    expect(created.stdout).toContain('Created API "Videos"');
    expect(created.stdout).toContain('resource=https://videos.example/api');

    const list = await latch(['apis', 'list']);
    expectCode(list, 0);
    expect(list.stdout).toMatch(/https:\/\/videos\.example\/api\s+Videos\s+opaque\s+600\s+read:videos/);
    expect((await latch(['apis', 'list', '--json'])).json<{ apis: unknown[] }>().apis).toHaveLength(1);

    const shown = await latch(['apis', 'show', 'https://videos.example/api', '--json']);
    expectCode(shown, 0);
    expect(shown.json()).toMatchObject({ token_format: 'opaque', access_token_ttl: 600 });

    const deleted = await latch(['apis', 'delete', 'https://videos.example/api', '--json']);
    expectCode(deleted, 0);
    expect(deleted.json()).toEqual({ deleted: true, identifier: 'https://videos.example/api' });
    const missing = await latch(['apis', 'show', 'https://videos.example/api']);
    expectCode(missing, 1);
    expect(missing.stderr).toMatch(/api not found: https:\/\/videos\.example\/api/);
  });

  it.each([
    [['--identifier', 'photos'], /--identifier: "photos" is not an absolute URI/],
    [['--identifier', 'https://photos.example#x'], /--identifier: .*fragment/],
    [['--identifier', 'https://photos.example', '--scope', 'read"photos'], /--scope: "read"photos" is not a valid scope token/],
    [['--identifier', 'https://photos.example', '--scope', 'openid'], /--scope: "openid" is an OpenID Connect scope/],
    [['--identifier', 'https://photos.example', '--token-format', 'paseto'], /--token-format: "paseto" is not one of jwt, opaque/],
    [['--identifier', 'https://photos.example', '--ttl', '0'], /--ttl: must be a whole number of seconds from 1 to 86400/],
    [['--identifier', 'https://photos.example', '--ttl', 'soon'], /--ttl: "soon" is not a whole number/],
    [['--identifier', 'https://photos.example', '--alg', 'HS256'], /--alg: "HS256" is not one of/],
  ])('refuses %j naming the flag', async (args, message) => {
    const result = await latch(['apis', 'create', ...args]);
    expectCode(result, 1);
    expect(result.stderr).toMatch(message);
  });

  it('create --introspect-client names the confidential clients that may introspect its tokens', async () => {
    const rs = (await latch(['clients', 'create', '--name', 'Photos API', '--type', 'm2m', '--json'])).json<{ client_id: string }>();
    const created = await latch(['apis', 'create', '--identifier', 'https://photos.example', '--token-format', 'opaque', '--introspect-client', rs.client_id, '--json']);
    expectCode(created, 0);
    expect(created.json()).toMatchObject({ introspection_clients: [rs.client_id] });
    const shown = await latch(['apis', 'show', 'https://photos.example']);
    expect(shown.stdout).toContain(`introspection: ${rs.client_id}`);
    const unknown = await latch(['apis', 'create', '--identifier', 'https://videos.example', '--introspect-client', 'nobody']);
    expectCode(unknown, 1);
    expect(unknown.stderr).toMatch(/--introspect-client: no client with client_id "nobody"/);

    // An API registered before (or without) it gets its resource server's client later.
    expectCode(await latch(['apis', 'create', '--identifier', 'https://albums.example', '--token-format', 'opaque']), 0);
    const updated = await latch(['apis', 'update', 'https://albums.example', '--introspect-client', rs.client_id, '--json']);
    expectCode(updated, 0);
    expect(updated.json()).toMatchObject({ identifier: 'https://albums.example', introspection_clients: [rs.client_id] });
    const cleared = await latch(['apis', 'update', 'https://albums.example', '--introspect-client', '', '--json']);
    expect(cleared.json()).toMatchObject({ introspection_clients: [] });
    expectCode(await latch(['apis', 'update', 'https://albums.example']), 2);
    expectCode(await latch(['apis', 'update', 'https://missing.example', '--introspect-client', rs.client_id]), 1);
  });

  it('refuses a second API with the same identifier, and a missing --identifier (usage, exit 2)', async () => {
    expectCode(await latch(['apis', 'create', '--identifier', 'https://photos.example']), 0);
    const again = await latch(['apis', 'create', '--identifier', 'https://photos.example']);
    expectCode(again, 1);
    expect(again.stderr).toMatch(/--identifier: an API with identifier https:\/\/photos\.example already exists/);
    expectCode(await latch(['apis', 'create']), 2);
    expectCode(await latch(['apis', 'frobnicate']), 2);
  });

  it('clients create --default-resource needs an existing API', async () => {
    const missing = await latch(['clients', 'create', '--name', 'Shop', '--type', 'web', '--redirect-uri', 'https://shop.example/cb', '--default-resource', 'https://photos.example']);
    expectCode(missing, 1);
    expect(missing.stderr).toMatch(/--default-resource: no API has the identifier https:\/\/photos\.example/);
    expectCode(await latch(['apis', 'create', '--identifier', 'https://photos.example', '--scope', 'read:photos']), 0);
    const created = await latch([
      'clients', 'create', '--name', 'Shop', '--type', 'web', '--redirect-uri', 'https://shop.example/cb',
      '--scope', 'openid read:photos', '--default-resource', 'https://photos.example', '--json',
    ]);
    expectCode(created, 0);
    expect(created.json()).toMatchObject({ scope: 'openid profile email address phone offline_access read:photos', latch_default_resource: 'https://photos.example' });
  });
});

describe('latch grants', () => {
  async function seed(): Promise<{ sub: string; grantId: string; clientId: string }> {
    const user = await runLatch(['users', 'create', '--email', 'ada@example.com', '--password-stdin', '--json'], { env, stdin: 'a long password' });
    expectCode(user, 0);
    const sub = user.json<{ sub: string }>().sub;
    const client = (await latch(['clients', 'create', '--name', 'Print shop', '--type', 'web', '--redirect-uri', 'https://shop.example/cb', '--json'])).json<{ client_id: string }>();
    const store = await openMigratedStore({ dataDir });
    try {
      const grantId = 'grant-1';
      await store.grants.create({ grantId, clientId: client.client_id, sub, scope: 'openid read:photos', sid: null, authTime: 1, amr: ['pwd'], createdAt: 1_700_000_000, revokedAt: null });
      await store.tokens.create({
        digest: 'd1', kind: 'refresh_token', grantId, clientId: client.client_id, sub, scope: 'openid', audience: null, data: {},
        createdAt: 1, expiresAt: 4_000_000_000, consumedAt: null, revokedAt: null,
      });
      return { sub, grantId, clientId: client.client_id };
    } finally {
      await store.close();
    }
  }

  it('lists a person\'s grants by email, and revokes one with every token of it', async () => {
    const { sub, grantId, clientId } = await seed();
    const list = await latch(['grants', 'list', '--user', 'ada@example.com']);
    expectCode(list, 0);
    expect(list.stdout).toMatch(new RegExp(`grant-1\\s+Print shop \\(${clientId}\\)\\s+openid read:photos\\s+2023-11-14T22:13:20Z\\s+-`));
    expect((await latch(['grants', 'list', '--user', sub, '--json'])).json()).toEqual({
      grants: [{ grant_id: grantId, client_id: clientId, client_name: 'Print shop', sub, scope: 'openid read:photos', created_at: 1_700_000_000, revoked_at: null }],
    });

    const revoked = await latch(['grants', 'revoke', grantId, '--json']);
    expectCode(revoked, 0);
    expect(typeof revoked.json().revoked_at).toBe('number');
    const store = await openMigratedStore({ dataDir });
    try {
      expect((await store.tokens.find('d1'))?.revokedAt).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('names what is missing', async () => {
    expectCode(await latch(['grants', 'list']), 2);
    const noUser = await latch(['grants', 'list', '--user', 'nobody@example.com']);
    expectCode(noUser, 1);
    expect(noUser.stderr).toMatch(/user not found: nobody@example.com/);
    const noGrant = await latch(['grants', 'revoke', 'nope']);
    expectCode(noGrant, 1);
    expect(noGrant.stderr).toMatch(/grant not found: nope/);
  });
});
