/**
 * Who may call the admin API (RFC 6750 §3): a token for urn:latch:admin with admin:read for reads and
 * admin:write for changes; every other caller gets 401 or 403 with WWW-Authenticate, and a problem document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API } from '../../src/admin/builtins.js';
import { expectCode, runLatch } from '../../src/cli/test-helpers.js';
import { adminApi, machineAdmin, personToken } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { obtainCode, postForm, redeemCode, revoke, type HttpResult } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.close();
});

const REALM = 'realm="latch admin API"';

function expectRefused(res: HttpResult, status: number, error?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge.startsWith(`Bearer ${REALM}`)).toBe(true);
  if (error === undefined) expect(challenge).toBe(`Bearer ${REALM}`);
  else expect(challenge).toContain(`error="${error}"`);
}

const newClient = () => ({ client_name: 'Refused', latch_client_kind: 'm2m' });

describe('admin API authentication', () => {
  it('a machine gets a token with `latch clients create --type m2m --scope admin:read --scope admin:write` and client credentials', async () => {
    const created = await runLatch(
      ['clients', 'create', '--name', 'Automation', '--type', 'm2m', '--scope', 'admin:read', '--scope', 'admin:write', '--json'],
      { env: { LATCH_DATA_DIR: ts.dataDir } },
    );
    expectCode(created, 0);
    const { client_id: clientId, client_secret: clientSecret } = created.json<{ client_id: string; client_secret: string }>();
    const token = await postForm(`${ts.url}/token`, { grant_type: 'client_credentials', resource: ADMIN_API, scope: 'admin:read admin:write' }, { clientId, clientSecret });
    expect(token.status, token.text).toBe(200);
    expect(token.body.scope).toBe('admin:read admin:write');
    const call = adminApi(ts, token.body.access_token);
    const read = await call('GET', '/clients/latch-console');
    expect(read.status, read.text).toBe(200);
    expect(read.body.client_id).toBe('latch-console');
    const write = await call('POST', '/clients', { client_name: 'Made by a machine', latch_client_kind: 'm2m' });
    expect(write.status, write.text).toBe(201);
  });

  it('no token: 401 with a bare challenge (no error code)', async () => {
    expectRefused(await adminApi(ts, null)('GET', '/clients/latch-console'), 401);
    expectRefused(await adminApi(ts, null)('POST', '/clients', newClient()), 401);
    // Another scheme is no bearer token at all.
    expectRefused(await adminApi(ts, null)('GET', '/clients/latch-console', undefined, { authorization: 'Basic YTpi' }), 401);
  });

  it('an unknown, malformed or refresh token: 401 invalid_token (or 400 invalid_request)', async () => {
    expectRefused(await adminApi(ts, 'not-a-token-of-this-latch')('GET', '/clients/latch-console'), 401, 'invalid_token');
    const malformed = await adminApi(ts, null)('GET', '/clients/latch-console', undefined, { authorization: 'Bearer a b' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('an expired token: 401 invalid_token', async () => {
    const admin = await ts.user();
    await ts.latch.store.users.update(admin.sub, { roles: ['admin'], updatedAt: Math.floor(Date.now() / 1000) });
    const expired = await personToken(ts, admin.sub, { now: Math.floor(Date.now() / 1000) - 1000, ttl: 10 });
    const res = await adminApi(ts, expired)('GET', '/clients/latch-console');
    expectRefused(res, 401, 'invalid_token');
    expect(res.body.detail).toMatch(/expired/);
  });

  it('a revoked token: 401 invalid_token', async () => {
    const { client, token } = await machineAdmin(ts);
    expect((await adminApi(ts, token)('GET', '/clients/latch-console')).status).toBe(200);
    expect((await revoke(ts, token, client)).status).toBe(200);
    const res = await adminApi(ts, token)('GET', '/clients/latch-console');
    expectRefused(res, 401, 'invalid_token');
    expect(res.body.detail).toMatch(/revoked/);
  });

  it("another API's token: 401 invalid_token", async () => {
    const { token: adminToken } = await machineAdmin(ts);
    const created = await adminApi(ts, adminToken)('POST', '/apis', { identifier: 'https://photos.example.test', scopes: ['read:photos'] });
    expect(created.status, created.text).toBe(201);
    const photos = await ts.client({ kind: 'm2m', extraScopes: ['read:photos', 'admin:read'] });
    const token = await postForm(`${ts.url}/token`, { grant_type: 'client_credentials', resource: 'https://photos.example.test', scope: 'read:photos' }, photos);
    expect(token.status, token.text).toBe(200);
    const res = await adminApi(ts, token.body.access_token)('GET', '/clients/latch-console');
    expectRefused(res, 401, 'invalid_token');
    expect(res.body.detail).toContain(ADMIN_API);
    // A token without any audience is not for the admin API either, even an admin's.
    const admin = await ts.user();
    await ts.latch.store.users.update(admin.sub, { roles: ['admin'], updatedAt: Math.floor(Date.now() / 1000) });
    expect((await adminApi(ts, await personToken(ts, admin.sub))('GET', '/clients/latch-console')).status).toBe(200);
    const bare = await adminApi(ts, await personToken(ts, admin.sub, { audience: null }))('GET', '/clients/latch-console');
    expectRefused(bare, 401, 'invalid_token');
    expect(bare.body.detail).toContain(ADMIN_API);
  });

  it('admin:read trying to write: 403 insufficient_scope naming admin:write, and nothing changes', async () => {
    const { token } = await machineAdmin(ts, 'admin:read');
    const call = adminApi(ts, token);
    expect((await call('GET', '/clients/latch-console')).status).toBe(200);
    const res = await call('POST', '/clients', { ...newClient(), client_id: 'never-made' });
    expectRefused(res, 403, 'insufficient_scope');
    expect(res.headers.get('www-authenticate')).toContain('scope="admin:write"');
    expect(await ts.latch.store.clients.find('never-made')).toBeUndefined();
    const writeOnly = await machineAdmin(ts, 'admin:write');
    const read = await adminApi(ts, writeOnly.token)('GET', '/clients/latch-console');
    expectRefused(read, 403, 'insufficient_scope');
    expect(read.headers.get('www-authenticate')).toContain('scope="admin:read"');
  });

  it("a person's token: only while the person exists, is enabled and has the admin role", async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const person = await ts.user();
    const token = await personToken(ts, person.sub);
    const call = adminApi(ts, token);
    const notAdmin = await call('GET', '/clients/latch-console');
    expectRefused(notAdmin, 401, 'invalid_token');
    expect(notAdmin.body.detail).toMatch(/admin role/);

    await ts.latch.store.users.update(person.sub, { roles: ['admin'], updatedAt: now() });
    expect((await call('GET', '/clients/latch-console')).status).toBe(200);

    await ts.latch.store.users.update(person.sub, { disabledAt: now(), updatedAt: now() });
    const disabled = await call('GET', '/clients/latch-console');
    expectRefused(disabled, 401, 'invalid_token');
    expect(disabled.body.detail).toMatch(/disabled/);

    await ts.latch.store.users.update(person.sub, { disabledAt: null, updatedAt: now() });
    expect((await call('GET', '/clients/latch-console')).status).toBe(200);
    await ts.latch.store.users.delete(person.sub);
    expectRefused(await call('GET', '/clients/latch-console'), 401, 'invalid_token');
  });

  it("a person signed in through the console client: an admin's token works, a non-admin gets none that does", async () => {
    const consoleClient = { clientId: 'latch-console', redirectUri: `${ts.issuer}/console/callback` };
    const signIn = async (user: { email: string; password: string; sub: string }) => {
      try {
        const code = await obtainCode(ts, new Browser(), consoleClient, user, { scope: 'openid admin:read admin:write', extra: { resource: ADMIN_API } });
        return await redeemCode(ts, { clientId: 'latch-console' }, code, { resource: ADMIN_API });
      } catch (err) {
        return { status: 0, body: { error: String(err) } } as unknown as HttpResult;
      }
    };
    const admin = await ts.user();
    await ts.latch.store.users.update(admin.sub, { roles: ['admin'], updatedAt: Math.floor(Date.now() / 1000) });
    const granted = await signIn(admin);
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body.scope.split(' ')).toEqual(expect.arrayContaining(['admin:read', 'admin:write']));
    const call = adminApi(ts, granted.body.access_token);
    expect((await call('GET', '/clients/latch-console')).status).toBe(200);
    // The refresh token of that sign-in is no access token.
    expect(granted.body.refresh_token).toEqual(expect.any(String));
    expectRefused(await adminApi(ts, granted.body.refresh_token)('GET', '/clients/latch-console'), 401, 'invalid_token');
    expect((await call('POST', '/clients', { client_name: 'Made by a person', latch_client_kind: 'm2m' })).status).toBe(201);
    const events = await call('GET', `/events?user=${admin.sub}&type=client.created`);
    expect(events.body.items[0]).toMatchObject({ actor: { sub: admin.sub, client_id: 'latch-console' } });
    // Taking the admin role away stops the token at once.
    await ts.latch.store.users.update(admin.sub, { roles: [], updatedAt: Math.floor(Date.now() / 1000) });
    expectRefused(await call('GET', '/clients/latch-console'), 401, 'invalid_token');

    const person = await ts.user();
    const refused = await signIn(person);
    if (refused.status === 200) {
      // A person's token carries the admin scopes only with the admin role; and the API checks the role itself.
      expect(String(refused.body.scope ?? '').split(' ')).not.toContain('admin:read');
      const res = await adminApi(ts, refused.body.access_token)('GET', '/clients/latch-console');
      expect([401, 403]).toContain(res.status);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="latch admin API", error="(invalid_token|insufficient_scope)"/);
    } else {
      expect(refused.body.error).toBeDefined();
    }
  });

  it('the OpenAPI document needs no token; unknown routes are problem documents too', async () => {
    const doc = await fetch(`${ts.url}/admin/api/openapi.json`);
    expect(doc.status).toBe(200);
    const missing = await adminApi(ts, null)('GET', '/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
