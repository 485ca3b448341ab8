import type { Kysely, Migrator } from 'kysely';
import { describe, expect } from 'vitest';
import type { OpenedStore } from '../open.js';
import { itMigratesOnBothDialects } from './migration-check.js';
import { aClient, NOW, uniqueId } from './fixtures.js';
import { insertOldClient } from './old-rows.js';

/** Migration 018 on data written before it: every existing token stays a bearer token (no jkt), and can be bound after. */
async function checkMigration(store: OpenedStore, migrator: Migrator): Promise<void> {
  expect((await migrator.migrateTo('015-change-notices')).error).toBeUndefined();
  const client = aClient();
  await insertOldClient(store, client);
  const db = store.kysely as unknown as Kysely<any>;
  const digest = uniqueId('token');
  await db
    .insertInto('tokens')
    .values({ digest, kind: 'access_token', grant_id: null, client_id: client.clientId, sub: null, scope: 'read', audience: null, data: JSON.stringify({}), created_at: NOW, expires_at: NOW + 600, consumed_at: null, revoked_at: null })
    .execute();

  const migrated = await migrator.migrateTo('018-dpop-binding');
  expect(migrated.error).toBeUndefined();
  // Other migrations may sit between 015 and 018 once merged: only 018's outcome matters here.
  expect(migrated.results?.map((r) => r.migrationName)).toContain('018-dpop-binding');
  const old = await store.tokens.find(digest);
  expect(old?.scope).toBe('read');
  expect(old && 'jkt' in old).toBe(false);
  const bound = { ...old!, digest: uniqueId('token'), jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' };
  await store.tokens.create(bound);
  expect(await store.tokens.find(bound.digest)).toEqual(bound);

  // And back down (the columns go), and up again.
  expect((await migrator.migrateDown()).error).toBeUndefined();
  expect((await migrator.migrateUp()).error).toBeUndefined();
  expect((await store.tokens.find(bound.digest))?.digest).toBe(bound.digest);
}

describe('migration 018', () => {
  itMigratesOnBothDialects('adds the DPoP binding of tokens and codes; existing tokens stay bearer tokens', checkMigration);
});
