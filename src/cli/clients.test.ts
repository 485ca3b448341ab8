import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digest } from '../core/tokens/hash.js';
import { generateSigningKey } from '../keys/generate.js';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-clients-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[]) => runLatch(argv, { env });

async function storedClient(clientId: string) {
  const store = await openMigratedStore({ dataDir });
  try {
    return await store.clients.find(clientId);
  } finally {
    await store.close();
  }
}

describe('latch clients create', () => {
  it('web: prints the client id and, once, the secret with a warning', async () => {
    const result = await latch(['clients', 'create', '--name', 'Shop', '--type', 'web', '--redirect-uri', 'https://shop.example/cb']);
    expectCode(result, 0);
    const clientId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
    const secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1];
    expect(clientId).toBeDefined();
    expect(secret).toBeDefined();
    expect(result.stdout).toMatch(/shown only this once/);
    const stored = await storedClient(clientId!);
    expect(stored?.clientSecretDigest).toBe(digest(secret!));

    const shown = await latch(['clients', 'show', clientId!]);
    expectCode(shown, 0);
    expect(shown.stdout).toContain(clientId);
    expect(shown.stdout).not.toContain(secret);
  });

  it.each([
    ['web', ['--redirect-uri', 'https://app.example/cb'], { token_endpoint_auth_method: 'client_secret_basic', application_type: 'web' }, true],
    ['spa', ['--redirect-uri', 'http://localhost:5173/cb'], { token_endpoint_auth_method: 'none', application_type: 'web' }, false],
    ['native', ['--redirect-uri', 'com.example.app:/cb', '--redirect-uri', 'http://127.0.0.1/cb'], { token_endpoint_auth_method: 'none', application_type: 'native' }, false],
    ['m2m', [], { token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], redirect_uris: [], scope: '' }, true],
    ['device', [], { token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], redirect_uris: [] }, false],
  ] as const)('--type %s --json prints the RFC 7591 client', async (type, extra, expected, hasSecret) => {
    const result = await latch(['clients', 'create', '--name', `A ${type} client`, '--type', type, ...extra, '--json']);
    expectCode(result, 0);
    const client = result.json();
    expect(client).toMatchObject({ client_name: `A ${type} client`, latch_client_kind: type, ...expected });
    expect(typeof client.client_id).toBe('string');
    expect(typeof client.client_id_issued_at).toBe('number');
    if (hasSecret) expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    else expect(client).not.toHaveProperty('client_secret');
    expect(await storedClient(client.client_id as string)).toBeDefined();
  });

  it('takes repeated and space-separated scopes, grant types, auth method, ID token alg and post-logout URIs', async () => {
    const result = await latch([
      'clients', 'create', '--name', 'Custom', '--type', 'web',
      '--redirect-uri', 'https://a.example/cb', '--redirect-uri', 'https://a.example/cb2',
      '--post-logout-redirect-uri', 'https://a.example/bye',
      '--scope', 'openid profile', '--scope', 'api:read',
      '--grant-type', 'authorization_code',
      '--auth-method', 'client_secret_post',
      '--id-token-alg', 'ES256',
      '--client-id', 'custom-app',
      '--json',
    ]);
    expectCode(result, 0);
    expect(result.json()).toMatchObject({
      client_id: 'custom-app',
      redirect_uris: ['https://a.example/cb', 'https://a.example/cb2'],
      post_logout_redirect_uris: ['https://a.example/bye'],
      scope: 'openid profile email address phone offline_access api:read',
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
    });
  });

  it('--scope adds to the type\'s default scopes, so openid stays; --no-default-scopes keeps only the given ones', async () => {
    const web = await latch(['clients', 'create', '--name', 'Photos', '--type', 'web', '--redirect-uri', 'https://p.example/cb', '--scope', 'read:photos', '--json']);
    expectCode(web, 0);
    expect(web.json().scope).toBe('openid profile email address phone offline_access read:photos');
    const stored = await storedClient(web.json().client_id as string);
    expect(stored?.metadata.scope.split(' ')).toContain('openid');

    const m2m = await latch(['clients', 'create', '--name', 'Reports', '--type', 'm2m', '--scope', 'reports:read', '--json']);
    expectCode(m2m, 0);
    expect(m2m.json().scope).toBe('reports:read');

    const only = await latch([
      'clients', 'create', '--name', 'Narrow', '--type', 'spa', '--redirect-uri', 'https://n.example/cb',
      '--no-default-scopes', '--scope', 'openid email', '--json',
    ]);
    expectCode(only, 0);
    expect(only.json().scope).toBe('openid email');
    expect((await latch(['clients', 'create', '--help'])).stdout).toMatch(/--scope S .*added to the type's defaults/);
  });

  it('refuses a redirect URI with a wildcard, naming the flag', async () => {
    const result = await latch(['clients', 'create', '--name', 'Wild', '--type', 'web', '--redirect-uri', 'https://*.example.com/cb']);
    expectCode(result, 1);
    expect(result.stderr).toMatch(/--redirect-uri: "https:\/\/\*\.example\.com\/cb" contains a wildcard/);
    expect(result.stderr).toMatch(/matched exactly/);
    expect((await latch(['clients', 'list', '--json'])).json()).toEqual({ clients: [] });
  });

  it('private_key_jwt with --jwks-file: public keys only, no secret', async () => {
    const key = await generateSigningKey('ES256');
    const publicFile = join(dataDir, 'client-jwks.json');
    const privateFile = join(dataDir, 'client-private.json');
    await writeFile(publicFile, JSON.stringify({ keys: [key.publicJwk] }));
    await writeFile(privateFile, JSON.stringify(key.privateJwk));

    const ok = await latch(['clients', 'create', '--name', 'Signed', '--type', 'm2m', '--auth-method', 'private_key_jwt', '--jwks-file', publicFile, '--json']);
    expectCode(ok, 0);
    expect(ok.json()).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
    expect(ok.json()).not.toHaveProperty('client_secret');

    const priv = await latch(['clients', 'create', '--name', 'Leaky', '--type', 'm2m', '--jwks-file', privateFile]);
    expectCode(priv, 1);
    expect(priv.stderr).toMatch(/--jwks-file: key 0 has private members/);

    const missing = await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--auth-method', 'private_key_jwt']);
    expectCode(missing, 1);
    expect(missing.stderr).toMatch(/--jwks-file: private_key_jwt needs/);

    const unreadable = await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--jwks-file', join(dataDir, 'nope.json')]);
    expectCode(unreadable, 1);
    expect(unreadable.stderr).toMatch(/--jwks-file: cannot read/);
  });
});

describe('latch clients: bad input names the flag', () => {
  it('missing or bad --type', async () => {
    const missing = await latch(['clients', 'create', '--name', 'X']);
    expectCode(missing, 2);
    expect(missing.stderr).toContain('--type is required (web, spa, native, m2m or device)');
    const bad = await latch(['clients', 'create', '--name', 'X', '--type', 'desktop', '--json']);
    expectCode(bad, 1);
    expect(JSON.parse(bad.stderr)).toEqual({
      error: 'invalid_input',
      field: '--type',
      message: expect.stringMatching(/--type: "desktop" is not one of web, spa, native, m2m, device/),
    });
    expect(bad.stdout).toBe('');
    const noName = await latch(['clients', 'create', '--type', 'm2m']);
    expectCode(noName, 2);
    expect(noName.stderr).toMatch(/--name is required/);
  });

  it('--allowed-origin registers a public client\'s CORS origins (allowed_cors_origins); refused for others', async () => {
    const created = await latch(['clients', 'create', '--name', 'SPA', '--type', 'spa', '--redirect-uri', 'https://spa.example/cb', '--allowed-origin', 'https://console.example', '--json']);
    expectCode(created, 0);
    expect(created.json()).toMatchObject({ allowed_cors_origins: ['https://console.example'] });
    const web = await latch(['clients', 'create', '--name', 'Web', '--type', 'web', '--redirect-uri', 'https://web.example/cb', '--allowed-origin', 'https://web.example']);
    expectCode(web, 1);
    expect(web.stderr).toMatch(/--allowed-origin: only a public client/);
    const path = await latch(['clients', 'create', '--name', 'SPA', '--type', 'spa', '--redirect-uri', 'https://spa.example/cb', '--allowed-origin', 'https://spa.example/app']);
    expectCode(path, 1);
    expect(path.stderr).toMatch(/--allowed-origin: "https:\/\/spa.example\/app" is not an origin/);
  });

  it('bad redirect URIs', async () => {
    const cases: [string, string, RegExp][] = [
      ['web', 'http://app.example/cb', /--redirect-uri: "http:\/\/app.example\/cb" must use https/],
      ['web', 'not a url', /--redirect-uri: "not a url" is not an absolute URL/],
      ['web', 'https://app.example/cb#x', /--redirect-uri: .* must not contain a fragment/],
      ['native', 'myapp:/cb', /--redirect-uri: .*private-use scheme with a dot/],
      ['m2m', 'https://app.example/cb', /--redirect-uri: m2m clients .* have no redirect URIs/],
    ];
    for (const [type, uri, message] of cases) {
      const result = await latch(['clients', 'create', '--name', 'X', '--type', type, '--redirect-uri', uri]);
      expectCode(result, 1);
      expect(result.stderr).toMatch(message);
    }
    const none = await latch(['clients', 'create', '--name', 'X', '--type', 'spa']);
    expectCode(none, 1);
    expect(none.stderr).toMatch(/--redirect-uri: at least one redirect URI is required/);
  });

  it('bad grant type, auth method, ID token alg, duplicate client id; nothing stored', async () => {
    const grant = await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--grant-type', 'magic']);
    expectCode(grant, 1);
    expect(grant.stderr).toMatch(/--grant-type: "magic" is not one of/);
    const auth = await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--auth-method', 'mtls']);
    expectCode(auth, 1);
    expect(auth.stderr).toMatch(/--auth-method: "mtls" is not one of/);
    const alg = await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--id-token-alg', 'HS256']);
    expectCode(alg, 1);
    expect(alg.stderr).toMatch(/--id-token-alg: "HS256" is not one of/);
    expect((await latch(['clients', 'list', '--json'])).json()).toEqual({ clients: [] });

    expectCode(await latch(['clients', 'create', '--name', 'X', '--type', 'm2m', '--client-id', 'taken']), 0);
    const dup = await latch(['clients', 'create', '--name', 'Y', '--type', 'm2m', '--client-id', 'taken']);
    expectCode(dup, 1);
    expect(dup.stderr).toMatch(/--client-id: a client with id taken already exists/);
  });
});

describe('latch clients list, show, delete', () => {
  it('lists, shows (without secret) and deletes', async () => {
    const a = (await latch(['clients', 'create', '--name', 'Alpha', '--type', 'm2m', '--json'])).json();
    const b = (await latch(['clients', 'create', '--name', 'Beta', '--type', 'device', '--json'])).json();

    const list = await latch(['clients', 'list']);
    expectCode(list, 0);
    expect(list.stdout).toMatch(/CLIENT_ID\s+TYPE\s+NAME/);
    expect(list.stdout).toContain('Alpha');
    expect(list.stdout).toContain('Beta');

    const listJson = (await latch(['clients', 'list', '--json'])).json<{ clients: Record<string, unknown>[] }>();
    expect(listJson.clients.map((c) => c.client_id).sort()).toEqual([a.client_id, b.client_id].sort());
    for (const c of listJson.clients) expect(c).not.toHaveProperty('client_secret');

    const shown = await latch(['clients', 'show', a.client_id as string, '--json']);
    const { client_secret: _secret, client_secret_expires_at: _exp, ...withoutSecret } = a;
    expect(shown.json()).toEqual(withoutSecret);

    const deleted = await latch(['clients', 'delete', a.client_id as string, '--json']);
    expect(deleted.json()).toEqual({ deleted: true, client_id: a.client_id });
    expect(await storedClient(a.client_id as string)).toBeUndefined();

    const again = await latch(['clients', 'delete', a.client_id as string]);
    expectCode(again, 1);
    expect(again.stderr).toMatch(/client not found/);
    const unknown = await latch(['clients', 'show', 'nope']);
    expectCode(unknown, 1);
    expect(unknown.stderr).toMatch(/client not found: nope/);
  });
});
