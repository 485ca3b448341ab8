import type { Kysely, Migrator } from 'kysely';
import { describe, expect } from 'vitest';
import type { OpenedStore } from '../open.js';
import { itMigratesOnBothDialects } from './migration-check.js';
import { aClient, NOW, uniqueId } from './fixtures.js';
import { insertOldClient } from './old-rows.js';

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
  itMigratesOnBothDialects('moves the browser binding into its column', checkMigration);
});
