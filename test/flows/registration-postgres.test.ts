/** Dynamic client registration on PostgreSQL: an initial access token's uses, a rotated registration access token, delete. */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrationToken } from '../../src/admin/registration-tokens.js';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { postForm } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

async function call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('registration on PostgreSQL', () => {
  const schema = `latch_reg_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
    ts = await startTestServer({ databaseUrl, secret: randomBytes(32).toString('base64url') }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
  });

  it('registers with a two-use token (concurrently: exactly two of three), gets a token, rotates, deletes', async () => {
    expect(store.dialect).toBe('postgres');
    const { token } = await createRegistrationToken(ts.latch.store, { uses: 2 });
    const doc = { client_name: 'PG machine', grant_types: ['client_credentials'] };
    const results = await Promise.all([1, 2, 3].map(() => call('POST', `${ts.issuer}/register`, doc, token)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 401]);
    const made = results.find((r) => r.status === 201)!.body;
    const issued = await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, { clientId: made.client_id, clientSecret: made.client_secret });
    expect(issued.status, issued.text).toBe(200);

    const uri = made.registration_client_uri as string;
    const put = await call('PUT', uri, { ...doc, client_id: made.client_id, client_name: 'PG machine 2' }, made.registration_access_token);
    expect(put.status).toBe(200);
    expect((await call('GET', uri, undefined, made.registration_access_token)).status).toBe(401);
    expect((await call('DELETE', uri, undefined, put.body.registration_access_token)).status).toBe(204);
    expect(await ts.latch.store.clients.find(made.client_id)).toBeUndefined();
  });
});
