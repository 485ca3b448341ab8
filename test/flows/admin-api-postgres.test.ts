/** The admin API on PostgreSQL: paging, edits, secret grace and events go through the production backend too. */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { postForm } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

describe('admin API on PostgreSQL', () => {
  const schema = `latch_admin_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let ts: TestServer;
  let call: AdminCall;

  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
    ts = await startTestServer({ databaseUrl, secret: randomBytes(32).toString('base64url') }, { store });
    call = adminApi(ts, (await machineAdmin(ts)).token);
  });
  afterAll(async () => {
    await ts?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
  });

  it('pages clients, edits one, rotates its secret with grace, and lists the events', async () => {
    expect(store.dialect).toBe('postgres');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await call('POST', '/clients', { client_name: `PG job ${n}`, latch_client_kind: 'm2m' });
      expect(res.status, res.text).toBe(201);
      ids.push(res.body.client_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/clients?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.items.map((c: { client_id: string }) => c.client_id));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    expectInvalid(await call('GET', '/clients?cursor=made-up'), 'cursor');

    const id = ids[0]!;
    expect((await call('PATCH', `/clients/${id}`, { client_name: 'PG job renamed', scope: 'reports:read' })).body).toMatchObject({ client_name: 'PG job renamed', scope: 'reports:read' });
    const created = await ts.latch.store.clients.find(id);
    expect(created?.metadata.client_name).toBe('PG job renamed');

    const oldSecret = (await call('POST', `/clients/${ids[1]}/secret`)).body.client_secret as string;
    const rotated = await call('POST', `/clients/${ids[1]}/secret`, { grace_seconds: 600 });
    expect(rotated.body.previous_secret_expires_at).toEqual(expect.any(Number));
    for (const secret of [oldSecret, rotated.body.client_secret]) {
      expect((await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, { clientId: ids[1]!, clientSecret: secret })).status).toBe(200);
    }

    const events = await call('GET', `/events?client=${ids[1]}&limit=2`);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(['client.secret_rotated', 'client.secret_rotated']);
    const rest = await call('GET', `/events?client=${ids[1]}&cursor=${encodeURIComponent(events.body.next_cursor)}`);
    expect(rest.body.items.map((e: { type: string }) => e.type)).toEqual(['client.created']);
  });
});
