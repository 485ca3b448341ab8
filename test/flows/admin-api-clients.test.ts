/**
 * /admin/api/clients over real HTTP: list with paging and search, create, show, edit, delete, secret rotation
 * with and without grace; bad input is a 400 problem naming the field and changes nothing; changes are events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { sleep } from '../helpers/device.js';
import { postForm } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let call: AdminCall;
let adminClientId: string;
beforeAll(async () => {
  ts = await startTestServer();
  const admin = await machineAdmin(ts);
  call = adminApi(ts, admin.token);
  adminClientId = admin.client.clientId;
});
afterAll(async () => {
  await ts?.close();
});

const web = (name: string, extra: Record<string, unknown> = {}) => ({
  client_name: name,
  latch_client_kind: 'web',
  redirect_uris: [`https://${name.toLowerCase().replace(/\W+/g, '-')}.example.test/callback`],
  ...extra,
});

async function clientCount(): Promise<number> {
  return (await ts.latch.store.clients.list()).length;
}

describe('clients: create, show, list', () => {
  it('creates a client (201) with its secret shown once; showing it later has no secret', async () => {
    const created = await call('POST', '/clients', web('Shop', { logo_uri: 'https://shop.example.test/logo.png', policy_uri: 'https://shop.example.test/privacy' }));
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toMatchObject({
      client_name: 'Shop',
      latch_client_kind: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: expect.any(String),
      client_secret_expires_at: 0,
      logo_uri: 'https://shop.example.test/logo.png',
      policy_uri: 'https://shop.example.test/privacy',
    });
    const shown = await call('GET', `/clients/${created.body.client_id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.client_secret).toBeUndefined();
    expect(shown.body.redirect_uris).toEqual(['https://shop.example.test/callback']);
    // The secret works at the token endpoint (a confidential web client may not use client credentials: unauthorized_client).
    const token = await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, { clientId: created.body.client_id, clientSecret: created.body.client_secret });
    expect(token.body.error).toBe('unauthorized_client');
  });

  it('lists clients a page at a time, oldest first, and searches with q', async () => {
    const names = ['Paging Alpha', 'Paging Beta', 'Paging Gamma'];
    for (const name of names) expect((await call('POST', '/clients', web(name))).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `/clients?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: { client_name: string }) => c.client_name));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    // Every client once (oldest first; clients of the same second in client_id order).
    expect(seen.length).toBe(await clientCount());
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.filter((n) => n.startsWith('Paging')).sort()).toEqual(names);
    expect(seen).toContain('Latch console');
    const found = await call('GET', '/clients?q=paging%20b');
    expect(found.body.items.map((c: { client_name: string }) => c.client_name)).toEqual(['Paging Beta']);
    expect(found.body.next_cursor).toBeNull();
    // An empty search box searches nothing away.
    expect((await call('GET', '/clients?q=&limit=200')).body.items.length).toBe(await clientCount());
  });

  it('refuses a bad limit, a made-up cursor and unknown query parameters, naming each', async () => {
    expectInvalid(await call('GET', '/clients?limit=0'), 'limit');
    expectInvalid(await call('GET', '/clients?limit=201'), 'limit');
    expectInvalid(await call('GET', '/clients?limit=ten'), 'limit');
    expectInvalid(await call('GET', '/clients?cursor=made-up'), 'cursor');
    expectInvalid(await call('GET', '/clients?sort=name&limit=0'), 'limit', 'sort');
    expect((await call('GET', '/clients?limit=200')).status).toBe(200);
  });

  it('refuses bad input with 400 naming the field, and creates nothing', async () => {
    const before = await clientCount();
    expectInvalid(await call('POST', '/clients', web('Bad', { redirect_uris: ['https://ok.example.test/cb', 'http://evil.example.test/cb'] })), 'redirect_uris[1]');
    expectInvalid(await call('POST', '/clients', web('Bad', { redirect_uris: ['https://ok.example.test/cb', 42] })), 'redirect_uris[1]');
    expectInvalid(await call('POST', '/clients', web('Bad', { client_secret: 'chosen' })), 'client_secret');
    expectInvalid(await call('POST', '/clients', { latch_client_kind: 'robot' }), 'client_name', 'latch_client_kind');
    expectInvalid(await call('POST', '/clients', web('Bad', { tos_uri: 'http://shop.example.test/tos' })), 'tos_uri');
    expectInvalid(await call('POST', '/clients', web('Bad', { logo_uri: 'not a url' })), 'logo_uri');
    expectInvalid(await call('POST', '/clients', web('Bad', { grant_types: ['authorization_code', 'telepathy'] })), 'grant_types[1]');
    expectInvalid(await call('POST', '/clients', '{"client_name": '), 'body');
    expectInvalid(await call('POST', '/clients'), 'body');
    const form = await call('POST', '/clients', 'client_name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const taken = await call('POST', '/clients', { client_name: 'Dup', latch_client_kind: 'm2m', client_id: 'latch-console' });
    expectInvalid(taken, 'client_id');
    expect(await clientCount()).toBe(before);
    expect((await ts.latch.store.clients.list()).some((c) => c.metadata.client_name === 'Bad')).toBe(false);
  });

  it('answers 404 problems for unknown clients', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { client_name: 'x' }], ['DELETE'], ['POST', {}]] as const) {
      const res = await call(method, method === 'POST' ? '/clients/nobody/secret' : '/clients/nobody', body);
      expect(res.status, `${method} ${res.text}`).toBe(404);
      expect(res.body).toMatchObject({ status: 404, title: 'Not found', detail: 'client not found: nobody' });
    }
  });
});

describe('clients: update and delete', () => {
  it('edits redirect URIs, name, scope and the RFC 7591 URLs; null removes a URL', async () => {
    const created = (await call('POST', '/clients', web('Editable', { client_uri: 'https://editable.example.test/' }))).body;
    const res = await call('PATCH', `/clients/${created.client_id}`, {
      client_name: 'Edited',
      redirect_uris: ['https://edited.example.test/cb', 'http://localhost:3000/cb'],
      post_logout_redirect_uris: ['https://edited.example.test/bye'],
      scope: 'openid profile',
      logo_uri: 'https://edited.example.test/logo.png',
      client_uri: null,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      client_name: 'Edited',
      redirect_uris: ['https://edited.example.test/cb', 'http://localhost:3000/cb'],
      post_logout_redirect_uris: ['https://edited.example.test/bye'],
      scope: 'openid profile',
      logo_uri: 'https://edited.example.test/logo.png',
    });
    expect(res.body.client_uri).toBeUndefined();
    const stored = await ts.latch.store.clients.find(created.client_id);
    expect(stored?.metadata.redirect_uris).toEqual(['https://edited.example.test/cb', 'http://localhost:3000/cb']);
    expect(stored?.metadata.client_uri).toBeUndefined();
    // The grant types of an m2m client can change too, with the kind's defaults for the response types.
    const m2m = (await call('POST', '/clients', { client_name: 'Job', latch_client_kind: 'm2m' })).body;
    const widened = await call('PATCH', `/clients/${m2m.client_id}`, { scope: 'read:things write:things' });
    expect(widened.body.scope).toBe('read:things write:things');
  });

  it('refuses a bad edit naming the field, and leaves the client as it was', async () => {
    const created = (await call('POST', '/clients', web('Kept'))).body;
    const before = (await call('GET', `/clients/${created.client_id}`)).body;
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { redirect_uris: ['https://fine.example.test/cb', 'https://*.example.test/cb'] }), 'redirect_uris[1]');
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { redirect_uris: [] }), 'redirect_uris');
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { client_name: 'New name', policy_uri: 'ftp://x.example.test' }), 'policy_uri');
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { token_endpoint_auth_method: 'none' }), 'token_endpoint_auth_method');
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { grant_types: ['client_credentials'] }), 'redirect_uris');
    expectInvalid(await call('PATCH', `/clients/${created.client_id}`, { allowed_cors_origins: ['https://app.example.test'] }), 'allowed_cors_origins');
    expect((await call('GET', `/clients/${created.client_id}`)).body).toEqual(before);
  });

  it('deletes a client (204), then it is gone; the console client cannot be deleted or changed', async () => {
    const created = (await call('POST', '/clients', web('Doomed'))).body;
    const res = await call('DELETE', `/clients/${created.client_id}`);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    expect((await call('GET', `/clients/${created.client_id}`)).status).toBe(404);
    expect(await ts.latch.store.clients.find(created.client_id)).toBeUndefined();
    const consoleDelete = await call('DELETE', '/clients/latch-console');
    expectInvalid(consoleDelete, 'client_id');
    expect(consoleDelete.body.detail).toMatch(/built-in console client/);
    expectInvalid(await call('PATCH', '/clients/latch-console', { client_name: 'Mine now' }), 'client_id');
    expect(await ts.latch.store.clients.find('latch-console')).toBeDefined();
  });
});

describe('clients: secret rotation', () => {
  async function m2mClient() {
    const created = (await call('POST', '/clients', { client_name: 'Rotating job', latch_client_kind: 'm2m' })).body;
    return { clientId: created.client_id as string, clientSecret: created.client_secret as string };
  }
  const tokenWith = (clientId: string, clientSecret: string) => postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, { clientId, clientSecret });

  it('without grace: the new secret works and the old one stops at once', async () => {
    const { clientId, clientSecret: old } = await m2mClient();
    expect((await tokenWith(clientId, old)).status).toBe(200);
    const rotated = await call('POST', `/clients/${clientId}/secret`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body).toMatchObject({ client_id: clientId, client_secret: expect.any(String), previous_secret_expires_at: null });
    expect(rotated.body.client_secret).not.toBe(old);
    expect((await tokenWith(clientId, rotated.body.client_secret)).status).toBe(200);
    const refused = await tokenWith(clientId, old);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });

  it('with grace: the old secret works until the grace ends, then only the new one', async () => {
    const { clientId, clientSecret: old } = await m2mClient();
    const rotated = await call('POST', `/clients/${clientId}/secret`, { grace_seconds: 2 });
    expect(rotated.status, rotated.text).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    expect(rotated.body.previous_secret_expires_at).toBeGreaterThanOrEqual(now + 1);
    expect(rotated.body.previous_secret_expires_at).toBeLessThanOrEqual(now + 2);
    expect((await tokenWith(clientId, old)).status).toBe(200);
    expect((await tokenWith(clientId, rotated.body.client_secret)).status).toBe(200);
    expect((await call('GET', `/clients/${clientId}`)).body.previous_secret_expires_at).toBe(rotated.body.previous_secret_expires_at);
    await sleep((rotated.body.previous_secret_expires_at - Date.now() / 1000) * 1000 + 100);
    expect((await tokenWith(clientId, old)).status).toBe(401);
    expect((await tokenWith(clientId, rotated.body.client_secret)).status).toBe(200);
  });

  it('refuses a bad grace, and a client without a secret', async () => {
    const { clientId, clientSecret } = await m2mClient();
    expectInvalid(await call('POST', `/clients/${clientId}/secret`, { grace_seconds: -1 }), 'grace_seconds');
    expectInvalid(await call('POST', `/clients/${clientId}/secret`, { grace_seconds: '60' }), 'grace_seconds');
    expectInvalid(await call('POST', `/clients/${clientId}/secret`, { grace_seconds: 60, secret: 'mine' }), 'secret');
    expect((await tokenWith(clientId, clientSecret)).status).toBe(200);
    const spa = (await call('POST', '/clients', { client_name: 'SPA', latch_client_kind: 'spa', redirect_uris: ['https://spa.example.test/cb'] })).body;
    expectInvalid(await call('POST', `/clients/${spa.client_id}/secret`), 'token_endpoint_auth_method');
  });
});

describe('clients: events', () => {
  it('records who created, changed, rotated and deleted a client, from where, without the secret', async () => {
    const created = (await call('POST', '/clients', { client_name: 'Audited', latch_client_kind: 'm2m' })).body;
    await call('PATCH', `/clients/${created.client_id}`, { client_name: 'Audited twice' });
    const rotated = (await call('POST', `/clients/${created.client_id}/secret`, { grace_seconds: 30 })).body;
    await call('DELETE', `/clients/${created.client_id}`);
    const res = await call('GET', `/events?client=${created.client_id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.map((e: { type: string }) => e.type)).toEqual(['client.deleted', 'client.secret_rotated', 'client.updated', 'client.created']);
    for (const event of res.body.items) {
      expect(event).toMatchObject({ client_id: created.client_id, actor: { sub: null, client_id: adminClientId }, address: '127.0.0.1' });
    }
    expect(res.body.items[1].data).toEqual({ grace_seconds: 30 });
    expect(res.body.items[2].data).toEqual({ fields: ['client_name'] });
    expect(res.text).not.toContain(created.client_secret);
    expect(res.text).not.toContain(rotated.client_secret);
  });
});
