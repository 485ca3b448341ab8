import type { Kysely, Migrator } from 'kysely';
import { describe, expect } from 'vitest';
import type { OpenedStore } from '../open.js';
import { itMigratesOnBothDialects } from './migration-check.js';
import { aClient, NOW, uniqueId } from './fixtures.js';
import { insertOldClient } from './old-rows.js';

/**
 * Migration 008 on data written before it: an interaction with the reserved `_device` key becomes a `device`
 * interaction with its device code digest in a column and an empty request; every other one is `authorize`, as it was.
 */
async function checkMigration(store: OpenedStore, migrator: Migrator): Promise<void> {
  expect((await migrator.migrateTo('007-operators')).error).toBeUndefined();
  const client = aClient();
  await insertOldClient(store, client);
  const db = store.kysely as unknown as Kysely<any>;
  const authorizeRequest = { response_type: 'code', client_id: client.clientId, scope: 'openid' };
  const rows = {
    authorize: { id: uniqueId('interaction'), request: authorizeRequest },
    device: { id: uniqueId('interaction'), request: { _device: 'device-code-digest' } },
  };
  for (const { id, request } of Object.values(rows)) {
    await db
      .insertInto('interactions')
      .values({ id_digest: id, client_id: client.clientId, sub: null, request: JSON.stringify(request), result: '{}', browser_digest: 'browser', created_at: NOW, expires_at: NOW + 600 })
      .execute();
  }

  const migrated = await migrator.migrateTo('008-interaction-kinds');
  expect(migrated.error).toBeUndefined();
  expect(migrated.results?.map((r) => r.migrationName)).toEqual(['008-interaction-kinds']);
  const authorize = await store.interactions.find(rows.authorize.id, NOW);
  expect(authorize).toMatchObject({ kind: 'authorize', request: authorizeRequest, deviceCodeDigest: null, browserDigest: 'browser' });
  const device = await store.interactions.find(rows.device.id, NOW);
  expect(device).toMatchObject({ kind: 'device', request: {}, deviceCodeDigest: 'device-code-digest', browserDigest: 'browser' });

  // And back down (the reserved key again), and up again: the migration undoes cleanly.
  expect((await migrator.migrateDown()).error).toBeUndefined();
  const down = await db.selectFrom('interactions').select('request').where('id_digest', '=', rows.device.id).executeTakeFirstOrThrow();
  expect(typeof down.request === 'string' ? JSON.parse(down.request) : down.request).toEqual({ _device: 'device-code-digest' });
  expect((await migrator.migrateUp()).error).toBeUndefined();
  expect((await store.interactions.find(rows.device.id, NOW))?.deviceCodeDigest).toBe('device-code-digest');
  expect((await store.interactions.find(rows.authorize.id, NOW))?.kind).toBe('authorize');
}

describe('migration 008', () => {
  itMigratesOnBothDialects('moves the device code of a device interaction out of its request', checkMigration);
});
