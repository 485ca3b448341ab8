/**
 * /admin/api/users, /sessions and /grants over real HTTP: people are listed, created, edited, disabled, given
 * roles and deleted; their sessions and grants (from real sign-ins) are listed and ended; refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/core/passwords.js';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { obtainTokens, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let call: AdminCall;
let web: TestClient;
beforeAll(async () => {
  ts = await startTestServer();
  call = adminApi(ts, (await machineAdmin(ts)).token);
  web = await ts.client({ kind: 'web' });
});
afterAll(async () => {
  await ts?.close();
});

const email = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}@example.test`;

describe('users', () => {
  it('creates a person with claims, a password and the admin role (201), never showing the hash', async () => {
    const res = await call('POST', '/users', {
      email: email('Ada'),
      email_verified: true,
      password: 'correct horse battery staple',
      roles: ['admin'],
      name: 'Ada Lovelace',
      given_name: 'Ada',
      locale: 'en-GB',
      address: { locality: 'London', country: 'UK' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      email_verified: true,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      locale: 'en-GB',
      address: { locality: 'London', country: 'UK' },
      roles: ['admin'],
      disabled: false,
      has_password: true,
    });
    expect(res.text).not.toMatch(/argon2/);
    const stored = await ts.latch.store.users.findBySub(res.body.sub);
    expect(await verifyPassword(stored!.passwordHash!, 'correct horse battery staple')).toBe(true);
  });

  it('lists people a page at a time and searches with q', async () => {
    for (const name of ['pager-one', 'pager-two', 'pager-three']) expect((await call('POST', '/users', { email: email(name) })).status).toBe(201);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...res.body.items.map((u: { email: string }) => u.email));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    expect(all.length).toBe((await ts.latch.store.users.list()).length);
    expect(new Set(all).size).toBe(all.length);
    const found = await call('GET', '/users?q=PAGER-TWO');
    expect(found.body.items.map((u: { email: string }) => u.email.split('-').slice(0, 2).join('-'))).toEqual(['pager-two']);
  });

  it('refuses bad input naming the field, and creates nothing', async () => {
    const before = (await ts.latch.store.users.list()).length;
    expectInvalid(await call('POST', '/users', { email: 'not-an-email' }), 'email');
    expectInvalid(await call('POST', '/users', { email: email('x'), password: 'short' }), 'password');
    expectInvalid(await call('POST', '/users', { email: email('x'), password_hash: '$argon2id$...' }), 'password_hash');
    expectInvalid(await call('POST', '/users', { email: email('x'), roles: ['Admin!'] }), 'roles[0]');
    expectInvalid(await call('POST', '/users', { email: email('x'), address: { planet: 'Mars' } }), 'address.planet');
    expectInvalid(await call('POST', '/users', { email: email('x'), email_verified: 'yes' }), 'email_verified');
    expect((await ts.latch.store.users.list()).length).toBe(before);
  });

  it('edits claims (null removes one), refuses a bad edit and leaves the person as they were', async () => {
    const created = (await call('POST', '/users', { email: email('grace'), name: 'Grace', nickname: 'Amazing' })).body;
    const res = await call('PATCH', `/users/${created.sub}`, { family_name: 'Hopper', phone_number: '+1 555 0100', nickname: null });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: 'Grace', family_name: 'Hopper', phone_number: '+15550100' });
    expect(res.body.nickname).toBeUndefined();
    const before = (await call('GET', `/users/${created.sub}`)).body;
    expectInvalid(await call('PATCH', `/users/${created.sub}`, { name: 'Changed', picture: 'not a url' }), 'picture');
    expectInvalid(await call('PATCH', `/users/${created.sub}`, { roles: ['admin'] }), 'roles');
    expectInvalid(await call('PATCH', `/users/${created.sub}`, { email: 'nope' }), 'email');
    expect((await call('GET', `/users/${created.sub}`)).body).toEqual(before);
  });

  it('sets a password (204), disables and enables, gives and takes roles, deletes (204)', async () => {
    const created = (await call('POST', '/users', { email: email('linus') })).body;
    expect((await call('PUT', `/users/${created.sub}/password`, { password: 'a much longer password' })).status).toBe(204);
    expect(await verifyPassword((await ts.latch.store.users.findBySub(created.sub))!.passwordHash!, 'a much longer password')).toBe(true);
    expectInvalid(await call('PUT', `/users/${created.sub}/password`, { password: 'short' }), 'password');
    expect(await verifyPassword((await ts.latch.store.users.findBySub(created.sub))!.passwordHash!, 'a much longer password')).toBe(true);

    const disabled = await call('POST', `/users/${created.sub}/disable`);
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body).toMatchObject({ disabled: true, disabled_at: expect.any(Number) });
    expect((await call('POST', `/users/${created.sub}/enable`)).body).toMatchObject({ disabled: false, disabled_at: null });

    expect((await call('PUT', `/users/${created.sub}/roles/admin`)).body.roles).toEqual(['admin']);
    expect((await call('PUT', `/users/${created.sub}/roles/support`)).body.roles).toEqual(['admin', 'support']);
    expect((await call('DELETE', `/users/${created.sub}/roles/admin`)).body.roles).toEqual(['support']);
    expectInvalid(await call('PUT', `/users/${created.sub}/roles/Not%20A%20Role`), 'role');

    expect((await call('DELETE', `/users/${created.sub}`)).status).toBe(204);
    const gone = await call('GET', `/users/${created.sub}`);
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toBe(`user not found: ${created.sub}`);
    // An email is no sub: the path names people by sub only.
    const other = (await call('POST', '/users', { email: email('kept') })).body;
    expect((await call('DELETE', `/users/${encodeURIComponent(other.email)}`)).status).toBe(404);
    expect(await ts.latch.store.users.findBySub(other.sub)).toBeDefined();
  });
});

describe('sessions and grants of a person who signed in', () => {
  it('lists and ends sessions, one or all', async () => {
    const user = await ts.user();
    await obtainTokens(ts, new Browser(), web, user);
    await obtainTokens(ts, new Browser(), web, user);
    const listed = await call('GET', `/sessions?user=${user.sub}`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    expect(listed.body.items[0]).toMatchObject({ sid: expect.any(String), sub: user.sub, amr: expect.any(Array) });
    expect(listed.text).not.toMatch(/idDigest|id_digest/);
    const page = await call('GET', `/sessions?user=${user.sub}&limit=1`);
    expect(page.body.items).toHaveLength(1);
    expect((await call('GET', `/sessions?user=${user.sub}&limit=1&cursor=${page.body.next_cursor}`)).body.items).toHaveLength(1);

    const sid = listed.body.items[0].sid as string;
    expect((await call('DELETE', `/sessions/${sid}`)).status).toBe(204);
    expect((await call('DELETE', `/sessions/${sid}`)).status).toBe(404);
    expect((await call('GET', `/sessions?user=${user.sub}`)).body.items.map((s: { sid: string }) => s.sid)).not.toContain(sid);
    const ended = await call('DELETE', `/users/${user.sub}/sessions`);
    expect(ended.status, ended.text).toBe(200);
    expect(ended.body).toEqual({ ended: 1 });
    expect((await call('GET', `/sessions?user=${user.sub}`)).body.items).toEqual([]);
    expectInvalid(await call('GET', '/sessions'), 'user');
    expect((await call('GET', '/sessions?user=nobody')).status).toBe(404);
  });

  it('lists grants by user and by client, and revokes one with its tokens', async () => {
    const user = await ts.user();
    const { tokens } = await obtainTokens(ts, new Browser(), web, user);
    const byUser = await call('GET', `/grants?user=${user.sub}`);
    expect(byUser.status, byUser.text).toBe(200);
    expect(byUser.body.items).toHaveLength(1);
    const grant = byUser.body.items[0];
    expect(grant).toMatchObject({ client_id: web.clientId, sub: user.sub, revoked_at: null, client_name: expect.any(String) });
    const byClient = await call('GET', `/grants?client=${web.clientId}&user=${user.sub}`);
    expect(byClient.body.items.map((g: { grant_id: string }) => g.grant_id)).toEqual([grant.grant_id]);
    expect((await call('GET', `/grants?client=${web.clientId}&limit=1`)).body.items).toHaveLength(1);

    expect((await call('DELETE', `/grants/${grant.grant_id}`)).status).toBe(204);
    const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web);
    expect(refreshed.body.error).toBe('invalid_grant');
    expect((await call('GET', `/grants?user=${user.sub}`)).body.items[0].revoked_at).toEqual(expect.any(Number));
    expect((await call('DELETE', '/grants/no-such-grant')).status).toBe(404);
    const events = await call('GET', `/events?type=grant.revoked&user=${user.sub}`);
    expect(events.body.items.length).toBeGreaterThanOrEqual(1);
    expect(events.body.items[0]).toMatchObject({ type: 'grant.revoked', sub: user.sub, client_id: web.clientId, data: { grant_id: grant.grant_id } });
  });

  it("disabling a person ends their sessions and revokes their grants", async () => {
    const user = await ts.user();
    const { tokens } = await obtainTokens(ts, new Browser(), web, user);
    expect((await call('POST', `/users/${user.sub}/disable`)).status).toBe(200);
    expect((await call('GET', `/sessions?user=${user.sub}`)).body.items).toEqual([]);
    const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web);
    expect(refreshed.body.error).toBe('invalid_grant');
    const types = (await call('GET', `/events?user=${user.sub}`)).body.items.map((e: { type: string }) => e.type);
    expect(types).toContain('user.disabled');
  });
});
