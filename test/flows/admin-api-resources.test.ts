/**
 * /admin/api/apis, /keys, /events and /settings/branding over real HTTP: list with paging, create, edit, delete,
 * key rotation, filtered events; bad input is a 400 problem naming the field and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API } from '../../src/admin/builtins.js';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
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

const path = (identifier: string) => `/apis/${encodeURIComponent(identifier)}`;

describe('apis', () => {
  it('creates an API with scope descriptions (201), shows it by its URL-encoded identifier', async () => {
    const res = await call('POST', '/apis', {
      identifier: 'https://photos.example.test/v1',
      name: 'Photos',
      scopes: ['read:photos', 'write:photos'],
      scope_descriptions: { 'read:photos': 'See your photos' },
      token_format: 'opaque',
      access_token_ttl: 600,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      identifier: 'https://photos.example.test/v1',
      name: 'Photos',
      scopes: ['read:photos', 'write:photos'],
      scope_descriptions: { 'read:photos': 'See your photos' },
      token_format: 'opaque',
      access_token_ttl: 600,
    });
    const shown = await call('GET', path('https://photos.example.test/v1'));
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body).toEqual(res.body);
    expect((await call('GET', path('https://nothing.example.test'))).status).toBe(404);
    // A long identifier is one path segment too (well past the router's default 100 characters).
    const long = `https://long.example.test/${'segment/'.repeat(150)}end`;
    expect((await call('POST', '/apis', { identifier: long })).status).toBe(201);
    expect((await call('GET', path(long))).body.identifier).toBe(long);
  });

  it('lists APIs a page at a time (the built-in admin API included) and searches with q', async () => {
    for (const n of [1, 2, 3]) expect((await call('POST', '/apis', { identifier: `https://list${n}.example.test`, name: `Listed ${n}` })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/apis?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.items.map((a: { identifier: string }) => a.identifier));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toContain(ADMIN_API);
    expect(seen.length).toBe((await ts.latch.store.apis.list()).length);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await call('GET', '/apis?q=listed%202')).body.items.map((a: { identifier: string }) => a.identifier)).toEqual(['https://list2.example.test']);
    expectInvalid(await call('GET', '/apis?cursor=https%3A%2F%2Fnever.example.test'), 'cursor');
  });

  it('refuses bad input naming the field, and registers nothing', async () => {
    const before = (await ts.latch.store.apis.list()).length;
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test/#frag' }), 'identifier');
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test', scopes: ['openid'] }), 'scopes[0]');
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test', scopes: ['a'], scope_descriptions: { b: 'Not a scope of it' } }), 'scope_descriptions.b');
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test', access_token_ttl: 999999 }), 'access_token_ttl');
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test', token_format: 'paseto' }), 'token_format');
    expectInvalid(await call('POST', '/apis', { identifier: 'https://bad.example.test', introspection_clients: ['nobody'] }), 'introspection_clients[0]');
    expectInvalid(await call('POST', '/apis', { identifier: ADMIN_API }), 'identifier');
    expect((await ts.latch.store.apis.list()).length).toBe(before);
  });

  it('edits name, scopes, descriptions, format, lifetime and introspection clients; a bad edit changes nothing', async () => {
    const id = 'https://edit.example.test';
    await call('POST', '/apis', { identifier: id, scopes: ['a', 'b'], scope_descriptions: { a: 'Do A', b: 'Do B' } });
    const introspector = (await call('POST', '/clients', { client_name: 'Introspector', latch_client_kind: 'm2m' })).body.client_id;
    const res = await call('PATCH', path(id), { name: 'Edited', scopes: ['a', 'c'], access_token_ttl: 120, token_format: 'opaque', introspection_clients: [introspector] });
    expect(res.status, res.text).toBe(200);
    // The description of the removed scope b goes with it.
    expect(res.body).toMatchObject({ name: 'Edited', scopes: ['a', 'c'], scope_descriptions: { a: 'Do A' }, access_token_ttl: 120, token_format: 'opaque', introspection_clients: [introspector] });
    expect((await call('PATCH', path(id), { scope_descriptions: { c: 'Do C' } })).body.scope_descriptions).toEqual({ c: 'Do C' });
    const before = (await call('GET', path(id))).body;
    expectInvalid(await call('PATCH', path(id), { name: 'Again', signing_alg: 'HS256' }), 'signing_alg');
    expectInvalid(await call('PATCH', path(id), { scopes: ['a'], scope_descriptions: { c: 'Do C' } }), 'scope_descriptions.c');
    expectInvalid(await call('PATCH', path(id), { identifier: 'https://moved.example.test' }), 'identifier');
    expect((await call('GET', path(id))).body).toEqual(before);
    // The built-in admin API keeps opaque tokens and its scopes.
    expectInvalid(await call('PATCH', path(ADMIN_API), { token_format: 'jwt' }), 'token_format');
    expectInvalid(await call('PATCH', path(ADMIN_API), { scopes: ['admin:read'] }), 'scopes');
  });

  it('deletes an API (204); the built-in admin API cannot be deleted', async () => {
    await call('POST', '/apis', { identifier: 'https://doomed.example.test' });
    expect((await call('DELETE', path('https://doomed.example.test'))).status).toBe(204);
    expect((await call('GET', path('https://doomed.example.test'))).status).toBe(404);
    const refused = await call('DELETE', path(ADMIN_API));
    expectInvalid(refused, 'identifier');
    expect(refused.body.detail).toMatch(/built-in admin API/);
    expect(await ts.latch.store.apis.find(ADMIN_API)).toBeDefined();
  });
});

describe('keys', () => {
  it('lists the signing keys without private parts, and rotates them as `latch keys rotate` does', async () => {
    const before = await call('GET', '/keys');
    expect(before.status, before.text).toBe(200);
    expect(before.body.items.length).toBeGreaterThan(0);
    for (const key of before.body.items) expect(Object.keys(key).sort()).toEqual(['activated_at', 'alg', 'created_at', 'kid', 'retired_at', 'state']);
    const nextKids = before.body.items.filter((k: { state: string }) => k.state === 'next').map((k: { kid: string }) => k.kid);
    const rotated = await call('POST', '/keys/rotate');
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.created.length).toBeGreaterThan(0);
    for (const kid of nextKids) expect(rotated.body.activated).toContain(kid);
    const after = (await call('GET', '/keys')).body.items;
    for (const kid of rotated.body.created) expect(after.find((k: { kid: string }) => k.kid === kid)?.state).toBe('next');
    const jwks = (await (await fetch(`${ts.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    for (const kid of rotated.body.created) expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    const event = (await call('GET', '/events?type=key.rotated')).body.items[0];
    expect(event).toMatchObject({ type: 'key.rotated', actor: { client_id: adminClientId }, data: { created: rotated.body.created } });
    expect((await call('GET', '/keys?limit=1')).body.items).toHaveLength(1);
  });
});

describe('events', () => {
  it('lists events newest first, filtered by type, client and time, a page at a time', async () => {
    const created = (await call('POST', '/clients', { client_name: 'Evented', latch_client_kind: 'm2m' })).body;
    await call('PATCH', `/clients/${created.client_id}`, { client_name: 'Evented again' });
    const all = await call('GET', `/events?client=${created.client_id}`);
    expect(all.body.items.map((e: { type: string }) => e.type)).toEqual(['client.updated', 'client.created']);
    const first = await call('GET', `/events?client=${created.client_id}&limit=1`);
    expect(first.body.items.map((e: { type: string }) => e.type)).toEqual(['client.updated']);
    const second = await call('GET', `/events?client=${created.client_id}&limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.items.map((e: { type: string }) => e.type)).toEqual(['client.created']);
    const typed = await call('GET', `/events?type=client.created&client=${created.client_id}`);
    expect(typed.body.items).toHaveLength(1);
    const at = all.body.items[0].at as number;
    expect((await call('GET', `/events?client=${created.client_id}&since=${at + 10}`)).body.items).toEqual([]);
    expect((await call('GET', `/events?client=${created.client_id}&until=${at + 10}&since=${at - 10}`)).body.items).toHaveLength(2);
    expect((await call('GET', `/events?user=nobody-at-all`)).body.items).toEqual([]);
  });

  it('refuses an unknown type, a bad time and a made-up cursor, naming each', async () => {
    expectInvalid(await call('GET', '/events?type=client.exploded'), 'type');
    expectInvalid(await call('GET', '/events?since=yesterday'), 'since');
    expectInvalid(await call('GET', '/events?since=200&until=100'), 'until');
    expectInvalid(await call('GET', '/events?cursor=zzz'), 'cursor');
  });
});

describe('settings/branding', () => {
  it('shows the defaults, stores a change (fields left out are kept), refuses bad values and changes nothing', async () => {
    const initial = await call('GET', '/settings/branding');
    expect(initial.status, initial.text).toBe(200);
    expect(initial.body).toMatchObject({ product_name: 'Latch', updated_at: null });
    const put = await call('PUT', '/settings/branding', { product_name: 'Acme ID', primary_color: '#336699', links: { privacy: 'https://acme.example.test/privacy' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ product_name: 'Acme ID', primary_color: '#336699', links: { privacy: 'https://acme.example.test/privacy', terms: null }, updated_at: expect.any(Number) });
    const kept = await call('PUT', '/settings/branding', { links: { terms: 'https://acme.example.test/terms' } });
    expect(kept.body).toMatchObject({ product_name: 'Acme ID', links: { privacy: 'https://acme.example.test/privacy', terms: 'https://acme.example.test/terms' } });
    const before = (await call('GET', '/settings/branding')).body;
    expectInvalid(await call('PUT', '/settings/branding', { product_name: 'Other', primary_color: 'blue' }), 'primary_color');
    expectInvalid(await call('PUT', '/settings/branding', { links: { blog: 'https://acme.example.test/blog' } }), 'links.blog');
    expectInvalid(await call('PUT', '/settings/branding', { theme: 'dark' }), 'theme');
    expect((await call('GET', '/settings/branding')).body).toEqual(before);
    const event = (await call('GET', '/events?type=settings.branding_updated')).body.items[0];
    expect(event).toMatchObject({ actor: { client_id: adminClientId } });
  });
});
