import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anApi } from '../contract/apis.contract.js';
import { aClient } from '../contract/fixtures.js';
import { openMigratedStore, type OpenedStore } from '../open.js';
import { changeListenerApplicationName } from './changes.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/** Polls `read` until it gives what `ok` wants; fails after `ms` (the promise: every instance within a second). */
async function within<T>(ms: number, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > ms) throw new Error(`not seen within ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('cached clients and APIs on PostgreSQL, two stores on one schema', () => {
  const schema = `latch_changes_${randomBytes(6).toString('hex')}`;
  let a: OpenedStore;
  let b: OpenedStore;
  const listening = () =>
    sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${changeListenerApplicationName(schema)}`.execute(b.kysely);
  /** A change no notice tells of (triggers off for this transaction): only a cache that is not kept sees it. */
  const unannounced = (statement: ReturnType<typeof sql>) =>
    b.kysely.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await statement.execute(trx);
    });
  const untilListening = async (store: OpenedStore) => {
    await store.clients.find('nobody');
    await within(2000, async () => (await listening()).rows.length, (n) => n >= 1);
    // The first LISTEN is done once a second read of a missing client stays cached.
    await new Promise((resolve) => setTimeout(resolve, 100));
  };

  beforeAll(async () => {
    a = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    b = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    await untilListening(a);
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists "${schema}" cascade`).execute(b.kysely);
    await a.close();
    await b.close();
  });

  it('keeps a client in memory: a change no notice tells of is not seen', async () => {
    const client = aClient();
    await b.clients.create(client);
    // The create's own notice may come after a first read: let it arrive before the read that is kept.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await a.clients.find(client.clientId))?.clientSecretDigest).toBe(client.clientSecretDigest);
    await unannounced(sql`update clients set client_secret_digest = 'unannounced' where client_id = ${client.clientId}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await a.clients.find(client.clientId))?.clientSecretDigest).toBe(client.clientSecretDigest);
  });

  it('a secret rotated and a client deleted through one store are refused by the other within a second', async () => {
    const client = aClient();
    await a.clients.create(client);
    expect((await a.clients.find(client.clientId))?.clientSecretDigest).toBe(client.clientSecretDigest);
    await b.clients.update(client.clientId, { clientSecretDigest: 'rotated', previousSecret: null });
    await within(1000, () => a.clients.find(client.clientId), (c) => c?.clientSecretDigest === 'rotated');
    await b.clients.delete(client.clientId);
    await within(1000, () => a.clients.find(client.clientId), (c) => c === undefined);
  });

  it('a client created, or changed by plain SQL, is seen by the other store (the trigger sends the notice)', async () => {
    const client = aClient();
    expect(await a.clients.find(client.clientId)).toBeUndefined();
    await b.clients.create(client);
    await within(1000, () => a.clients.find(client.clientId), (c) => c !== undefined);
    await sql`update clients set client_secret_digest = 'by sql' where client_id = ${client.clientId}`.execute(b.kysely);
    await within(1000, () => a.clients.find(client.clientId), (c) => c?.clientSecretDigest === 'by sql');
  });

  it('an API changed or deleted through one store is seen by the other within a second', async () => {
    const api = anApi({ accessTokenTtl: 300 });
    await b.apis.create(api);
    await within(1000, () => a.apis.find(api.identifier), (found) => found?.accessTokenTtl === 300);
    await b.apis.update(api.identifier, { accessTokenTtl: 60 });
    await within(1000, () => a.apis.find(api.identifier), (found) => found?.accessTokenTtl === 60);
    await b.apis.setIntrospectionClients(api.identifier, ['rs-1']);
    await within(1000, () => a.apis.find(api.identifier), (found) => found?.introspectionClients.join() === 'rs-1');
    await b.apis.delete(api.identifier, 1_900_000_000);
    await within(1000, () => a.apis.find(api.identifier), (found) => found === undefined);
  });

  it('a store sees its own writes at once', async () => {
    const client = aClient();
    expect(await a.clients.find(client.clientId)).toBeUndefined();
    await a.clients.create(client);
    expect(await a.clients.find(client.clientId)).toBeDefined();
    await a.clients.update(client.clientId, { clientSecretDigest: 'own', previousSecret: null });
    expect((await a.clients.find(client.clientId))?.clientSecretDigest).toBe('own');
  });

  it('when the listening connection is lost, a change missed meanwhile is seen: caches are dropped and it reconnects', async () => {
    const client = aClient();
    await b.clients.create(client);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await a.clients.find(client.clientId);
    const before = (await listening()).rows.map((r) => r.pid);
    expect(before.length).toBeGreaterThanOrEqual(1);
    for (const pid of before) await sql`select pg_terminate_backend(${pid})`.execute(b.kysely);
    await unannounced(sql`update clients set client_secret_digest = 'missed' where client_id = ${client.clientId}`);
    await within(1000, () => a.clients.find(client.clientId), (c) => c?.clientSecretDigest === 'missed');
    // Back and caching again.
    await within(5000, async () => (await listening()).rows.map((r) => r.pid), (pids) => pids.length >= 1 && pids.every((p) => !before.includes(p)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await a.clients.find(client.clientId);
    await unannounced(sql`update clients set client_secret_digest = 'unannounced again' where client_id = ${client.clientId}`);
    expect((await a.clients.find(client.clientId))?.clientSecretDigest).toBe('missed');
  });

  it('rate limits stay shared: a hit through one store is counted by the other at once', async () => {
    const key = `k-${randomBytes(4).toString('hex')}`;
    expect((await b.rateLimits.counts([key], 60, 1_900_000_000)).get(key)?.current ?? 0).toBe(0);
    await a.rateLimits.hit(key, 60, 1_900_000_000);
    expect((await b.rateLimits.counts([key], 60, 1_900_000_000)).get(key)?.current).toBe(1);
  });
});

describe('a store that never reads a client opens no listening connection', () => {
  it('the CLI writing a client leaves no listener behind', async () => {
    const schema = `latch_changes_${randomBytes(6).toString('hex')}`;
    const store = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    try {
      await store.clients.create(aClient());
      const rows = await sql`select pid from pg_stat_activity where application_name = ${changeListenerApplicationName(schema)}`.execute(store.kysely);
      expect(rows.rows).toHaveLength(0);
    } finally {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
      await store.close();
    }
  });
});

describe('a closed store', () => {
  it('opens no listening connection again when read after close (the process can end)', async () => {
    const schema = `latch_changes_${randomBytes(6).toString('hex')}`;
    const store = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    const admin = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    try {
      await store.clients.find('nobody');
      await store.close();
      await store.clients.find('nobody').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = await sql`select pid from pg_stat_activity where application_name = ${changeListenerApplicationName(schema)}`.execute(admin.kysely);
      expect(rows.rows).toHaveLength(0);
    } finally {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(admin.kysely);
      await admin.close();
    }
  });
});
