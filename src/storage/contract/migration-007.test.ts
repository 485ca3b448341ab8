import type { Kysely, Migrator } from 'kysely';
import { describe, expect } from 'vitest';
import type { OpenedStore } from '../open.js';
import { itMigratesOnBothDialects } from './migration-check.js';
import { aClient, aUser, NOW, uniqueId } from './fixtures.js';
import { insertOldClient, insertOldUser } from './old-rows.js';

/**
 * Migration 007 on data written before it: users get no roles and are enabled, clients have no previous secret, APIs
 * no scope descriptions; the new events and settings tables start empty and work at once.
 */
async function checkMigration(store: OpenedStore, migrator: Migrator): Promise<void> {
  const before = await migrator.migrateTo('006-browser-binding-introspection-clients');
  expect(before.error).toBeUndefined();
  const user = aUser();
  const client = aClient();
  await insertOldUser(store, user);
  await insertOldClient(store, client);
  const identifier = `https://${uniqueId('api')}.example`;
  await (store.kysely as unknown as Kysely<any>)
    .insertInto('apis')
    .values({ identifier, name: 'Old', scopes: '["read"]', token_format: 'jwt', access_token_ttl: 60, signing_alg: 'ES256', introspection_clients: '[]', created_at: NOW })
    .execute();

  // Up to 007 only (later migrations have tests of their own), so that the down and up below are 007's.
  const migrated = await migrator.migrateTo('007-operators');
  expect(migrated.error).toBeUndefined();
  expect(migrated.results?.map((r) => r.migrationName)).toEqual(['007-operators']);
  expect(await store.users.findBySub(user.sub)).toEqual({ ...user, roles: [], disabledAt: null });
  expect(await store.users.countWithRole('admin')).toBe(0);
  expect(await store.clients.find(client.clientId)).toEqual({ ...client, previousSecret: null });
  expect((await store.apis.find(identifier))?.scopeDescriptions).toEqual({});
  expect(await store.users.update(user.sub, { roles: ['admin'], updatedAt: NOW + 1 })).toBe(true);
  expect(await store.users.countWithRole('admin')).toBe(1);
  expect(await store.events.page({}, { limit: 10 })).toEqual({ items: [], nextCursor: null });
  expect(await store.settings.getBranding()).toBeUndefined();

  // And back down, and up again: the migration undoes cleanly.
  expect((await migrator.migrateDown()).error).toBeUndefined();
  expect((await migrator.migrateUp()).error).toBeUndefined();
  expect((await store.users.findBySub(user.sub))?.roles).toEqual([]);
}

describe('migration 007', () => {
  itMigratesOnBothDialects('existing rows get sensible defaults', checkMigration);
});
