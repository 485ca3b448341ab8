import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aClient, NOW, uniqueId } from '../contract/fixtures.js';
import { insertOldClient } from '../contract/old-rows.js';
import { openStore, type OpenedStore } from '../open.js';
import { migrationProvider } from './migration-provider.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

describe('PostgreSQL migration 023: the token INSERT checks clients instead of a foreign key', () => {
  const schema = `latch_m023_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let migrator: Migrator;
  let db: Kysely<any>;
  beforeAll(async () => {
    store = await openStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    migrator = new Migrator({ db: store.kysely, provider: migrationProvider, migrationTableSchema: schema });
    db = store.kysely as unknown as Kysely<any>;
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
    await store.close();
  });

  const clientKey = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from pg_constraint where conname = 'tokens_client_id_fkey' and connamespace = ${schema}::regnamespace`.execute(db)).rows[0]?.n;
  const rawToken = (clientId: string) => ({
    digest: uniqueId('token'), kind: 'access_token', grant_id: null, client_id: clientId, sub: null, scope: 'read', audience: null,
    data: JSON.stringify({}), created_at: NOW, expires_at: NOW + 600, consumed_at: null, revoked_at: null,
  });

  it('drops the key, keeps the tokens; down deletes tokens of missing clients and restores the key', async () => {
    expect((await migrator.migrateTo('022-rate-limit-notices')).error).toBeUndefined();
    const client = aClient();
    await insertOldClient(store, client);
    const kept = rawToken(client.clientId);
    await db.insertInto('tokens').values(kept).execute();
    expect(await clientKey()).toBe(1);

    const up = await migrator.migrateTo('023-tokens-client-check');
    expect(up.error).toBeUndefined();
    expect(await clientKey()).toBe(0);
    expect((await store.tokens.find(kept.digest))?.clientId).toBe(client.clientId);
    // Only Latch's INSERT checks now: a raw row for no client is possible, and what down must clean up.
    const orphan = rawToken('no-such-client');
    await db.insertInto('tokens').values(orphan).execute();

    expect((await migrator.migrateDown()).error).toBeUndefined();
    expect(await clientKey()).toBe(1);
    expect(await store.tokens.find(orphan.digest)).toBeUndefined();
    expect((await store.tokens.find(kept.digest))?.digest).toBe(kept.digest);
    await expect(db.insertInto('tokens').values(rawToken('no-such-client')).execute()).rejects.toThrow(/foreign key/);

    expect((await migrator.migrateUp()).error).toBeUndefined();
    expect(await clientKey()).toBe(0);
  });
});
