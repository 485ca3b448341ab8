import { Migrator, type MigrationProvider } from 'kysely';
import { expect } from 'vitest';
import type { OpenedStore } from '../open.js';
import { aDeviceCode } from './device-codes.contract.js';
import { aClient, aUser, NOW, uniqueId } from './fixtures.js';
import { insertOldClient, insertOldUser } from './old-rows.js';

/**
 * Migration 005: device grants are created with the approval now. A code approved (and not yet redeemed) before the
 * upgrade gets its grant from the migration, so its redemption, and a losing concurrent one, find it.
 */
export async function expectDeviceGrantBackfill(store: OpenedStore, provider: MigrationProvider, migrationTableSchema?: string): Promise<void> {
  const migrator = new Migrator({ db: store.kysely, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error } = await migrator.migrateTo('004-partial-token-indexes');
  if (error) throw error;
  const user = aUser();
  const client = aClient();
  await insertOldUser(store, user);
  await insertOldClient(store, client);
  const grantId = uniqueId('grant');
  const approved = aDeviceCode(client.clientId, { status: 'approved', grantId, sub: user.sub, sid: 'sid-1', authTime: NOW + 5, decidedAt: NOW + 6 });
  const pending = aDeviceCode(client.clientId);
  for (const code of [approved, pending]) await store.deviceCodes.create(code);

  const upTo005 = await migrator.migrateTo('005-one-time-grants');
  if (upTo005.error) throw upTo005.error;
  expect(upTo005.results?.map((r) => r.migrationName)).toEqual(['005-one-time-grants']);
  // The later migrations, so the store is at the latest schema again for the repository and whatever runs next;
  // migration 009 leaves the grant's amr unknown (null: it was a password sign-in).
  await store.migrate();
  expect(await store.grants.find(grantId)).toEqual({
    grantId,
    clientId: client.clientId,
    sub: user.sub,
    scope: approved.scope,
    sid: 'sid-1',
    authTime: NOW + 5,
    amr: null,
    createdAt: NOW + 6,
    revokedAt: null,
  });
  expect(await store.grants.listBySub(user.sub)).toHaveLength(1);
}
