import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore, type OpenedStore } from '../open.js';
import { migrationProvider as postgresMigrations } from '../postgres/migration-provider.js';
import { migrationProvider as sqliteMigrations } from '../sqlite/migration-provider.js';
import { aClient, NOW, uniqueId } from './fixtures.js';
import { insertOldClient } from './old-rows.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/**
 * Migration 006 on data written before it: an interaction's browser binding moves from the reserved `_browser` key
 * of its request into the browser_digest column, and an existing API gets an empty list of introspection clients.
 */
async function checkMigration(store: OpenedStore, migrator: Migrator): Promise<void> {
  const before = await migrator.migrateTo('004-partial-token-indexes');
  expect(before.error).toBeUndefined();
  const client = aClient();
  await insertOldClient(store, client);
  const browser = uniqueId('browser');
  const idDigest = uniqueId('interaction');
  const db = store.kysely as unknown as Kysely<any>;
  const request = { response_type: 'code', client_id: client.clientId, _browser: browser };
  await db
    .insertInto('interactions')
    .values({ id_digest: idDigest, client_id: client.clientId, sub: null, request: JSON.stringify(request), result: '{}', created_at: NOW, expires_at: NOW + 600 })
    .execute();
  const identifier = `https://${uniqueId('api')}.example`;
  await db
    .insertInto('apis')
    .values({ identifier, name: 'Old', scopes: '[]', token_format: 'jwt', access_token_ttl: 60, signing_alg: 'ES256', created_at: NOW })
    .execute();

  expect(await store.migrate()).toContain('006-browser-binding-introspection-clients');
  const moved = await store.interactions.find(idDigest, NOW);
  expect(moved?.browserDigest).toBe(browser);
  expect(moved?.request).toEqual({ response_type: 'code', client_id: client.clientId });
  expect((await store.apis.find(identifier))?.introspectionClients).toEqual([]);
}

describe('migration 006', () => {
  it('sqlite: moves the browser binding into its column', async () => {
    const dataDir = await mkdtemp(join(os.tmpdir(), 'latch-m006-'));
    const store = await openStore({ dataDir });
    try {
      await checkMigration(store, new Migrator({ db: store.kysely, provider: sqliteMigrations }));
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('postgres: moves the browser binding into its column', async () => {
    const schema = `latch_test_${randomBytes(8).toString('hex')}`;
    const store = await openStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    try {
      await checkMigration(store, new Migrator({ db: store.kysely, provider: postgresMigrations, migrationTableSchema: schema }));
    } finally {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
      await store.close();
    }
  });
});
