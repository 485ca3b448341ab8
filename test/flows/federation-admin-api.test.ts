/**
 * /admin/api/connections and /admin/api/users/{sub}/identities over real HTTP: create (discovery checked against a
 * real upstream Latch), list, show, disable, delete; the client secret is never returned; bad input is a 400 problem
 * naming the field and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let upstream: TestServer;
let call: AdminCall;
beforeAll(async () => {
  ts = await startTestServer();
  upstream = await startTestServer();
  call = adminApi(ts, (await machineAdmin(ts)).token);
});
afterAll(async () => {
  await ts?.close();
  await upstream?.close();
});

describe('connections', () => {
  it('creates (201), lists, shows, disables and deletes a connection; never returns its secret', async () => {
    const created = await call('POST', '/connections', { id: 'upstream', name: 'Upstream', issuer: upstream.issuer, client_id: 'abc', client_secret: 'very-secret' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: 'upstream', type: 'oidc', has_client_secret: true, enabled: true, callback_url: `${ts.issuer}/federation/upstream/callback` });
    expect(created.text).not.toContain('very-secret');
    expect((await call('GET', '/connections')).body.items).toHaveLength(1);
    const shown = await call('GET', '/connections/upstream');
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain('very-secret');
    const patched = await call('PATCH', '/connections/upstream', { enabled: false });
    expect(patched.body).toMatchObject({ enabled: false });
    expect((await call('DELETE', '/connections/upstream')).status).toBe(204);
    expect((await call('GET', '/connections/upstream')).status).toBe(404);
  });

  it('bad input is a 400 naming the field, and nothing is created', async () => {
    expectInvalid(await call('POST', '/connections', { id: 'x', name: 'X', client_id: 'c', issuer: 'http://idp.example.test' }), 'issuer');
    expectInvalid(await call('POST', '/connections', { id: 'Not A Slug', name: 'X', client_id: 'c', issuer: upstream.issuer }), 'id');
    expectInvalid(await call('POST', '/connections', { id: 'x', name: 'X', client_id: 'c', type: 'oauth2', authorization_endpoint: 'https://a.example.test/' }), 'token_endpoint');
    expectInvalid(await call('POST', '/connections', { id: 'x', name: 'X', client_id: 'c', issuer: `${upstream.issuer}/missing` }), 'issuer');
    expect((await call('GET', '/connections')).body.items).toEqual([]);
  });

  it("lists and removes a person's linked identities", async () => {
    expect((await call('POST', '/connections', { id: 'up2', name: 'Up', issuer: upstream.issuer, client_id: 'abc' })).status).toBe(201);
    const ada = await ts.user();
    await ts.latch.store.identities.create({ connectionId: 'up2', upstreamSub: 'u-1', sub: ada.sub, email: ada.email, createdAt: 5, lastUsedAt: null });
    const listed = await call('GET', `/users/${ada.sub}/identities`);
    expect(listed.body).toEqual({ items: [{ connection: 'up2', upstream_sub: 'u-1', sub: ada.sub, email: ada.email, created_at: 5, last_used_at: null }] });
    expect((await call('DELETE', `/users/${ada.sub}/identities/up2/other`)).status).toBe(404);
    expect((await call('DELETE', `/users/${ada.sub}/identities/up2/u-1`)).status).toBe(204);
    expect((await call('GET', `/users/${ada.sub}/identities`)).body).toEqual({ items: [] });
    expect((await call('GET', '/users/nobody/identities')).status).toBe(404);
  });
});
