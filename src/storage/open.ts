import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database, Dialect } from './database.js';
import { apisRepository } from './repositories/apis.js';
import { authorizationCodesRepository } from './repositories/codes.js';
import { clientsRepository } from './repositories/clients.js';
import { consentsRepository } from './repositories/consents.js';
import { deviceCodesRepository } from './repositories/device-codes.js';
import { grantsRepository } from './repositories/grants.js';
import { interactionsRepository } from './repositories/interactions.js';
import { keysRepository } from './repositories/keys.js';
import { purgeExpired } from './repositories/purge.js';
import { rateLimitsRepository } from './repositories/rate-limits.js';
import { replayRepository } from './repositories/replay.js';
import { sessionsRepository } from './repositories/sessions.js';
import { tokensRepository } from './repositories/tokens.js';
import { usersRepository } from './repositories/users.js';
import { cachedApis, cachedClients, ChangeWatch } from './sqlite/cached-lookups.js';
import { migrateSqlite, openSqliteDatabase, SQLITE_FILE_NAME } from './sqlite/connection.js';
import { sqliteReason, StoreOpenError } from './open-error.js';
import { announcingKeyWrites, KeyChangeHub, sqliteKeyChangeSource, type KeyChanges } from './key-changes.js';
import type { Store } from './types.js';

export interface StoreOptions {
  /** SQLite: the database is `<dataDir>/latch.db`; the directory is created if missing. */
  dataDir: string;
  /** `postgres://` or `postgresql://` URL; when set, PostgreSQL is used instead of SQLite. */
  databaseUrl?: string;
  /** PostgreSQL only: schema to use (created if missing); for test isolation. */
  schema?: string;
}

export interface OpenedStore extends Store {
  /** Applies pending migrations; returns the names of those applied now. */
  migrate(): Promise<string[]>;
  readonly kysely: Kysely<Database>;
  /** Tells a running server when the signing keys change, here or in another process. */
  readonly keyChanges: KeyChanges;
}

/** Opens the store chosen by `options`. Does not migrate. */
export async function openStore(options: StoreOptions): Promise<OpenedStore> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    if (!/^postgres(ql)?:\/\//i.test(options.databaseUrl)) {
      throw new Error('databaseUrl must be a postgres:// or postgresql:// URL (leave it unset for SQLite)');
    }
    // Loaded only when used: the embedded default never needs the pg driver in memory.
    const { migratePostgres, openPostgres } = await import('./postgres/connection.js');
    const { kysely, schema, connectionString } = await openPostgres(options.databaseUrl, options.schema);
    const { postgresKeyChangeSource } = await import('./postgres/key-changes.js');
    const keyChanges = new KeyChangeHub(postgresKeyChangeSource({ kysely, connectionString, schema }));
    return withKeyChanges(createStore(kysely, 'postgres', () => migratePostgres(kysely, schema)), keyChanges);
  }
  const { kysely, dataVersion } = openSqliteOrExplain(options.dataDir);
  const store = createStore(kysely, 'sqlite', () => migrateSqlite(kysely));
  // One process writes through one connection, so clients and APIs can be kept in memory until SQLite says otherwise.
  const watch = new ChangeWatch(dataVersion);
  const keyChanges = new KeyChangeHub(sqliteKeyChangeSource(dataVersion, () => keysFingerprint(store)));
  return withKeyChanges({ ...store, clients: cachedClients(store.clients, watch), apis: cachedApis(store.apis, watch) }, keyChanges);
}

function openSqliteOrExplain(dataDir: string): ReturnType<typeof openSqliteDatabase> {
  try {
    return openSqliteDatabase(dataDir);
  } catch (error) {
    throw new StoreOpenError('sqlite', path.join(dataDir, SQLITE_FILE_NAME), sqliteReason(error), { cause: error });
  }
}

type StoreWithoutKeyChanges = Omit<OpenedStore, 'keyChanges'>;

function withKeyChanges(store: StoreWithoutKeyChanges, hub: KeyChangeHub): OpenedStore {
  let closing: Promise<void> | undefined;
  return {
    ...store,
    keys: announcingKeyWrites(store.keys, hub),
    keyChanges: hub,
    close: () => (closing ??= hub.close().then(() => store.close())),
  };
}

async function keysFingerprint(store: StoreWithoutKeyChanges): Promise<string> {
  return (await store.keys.list()).map((k) => `${k.kid}:${k.state}`).join(',');
}

/** Opens the store and applies pending migrations. */
export async function openMigratedStore(options: StoreOptions): Promise<OpenedStore> {
  const store = await openStore(options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function createStore(kysely: Kysely<Database>, dialect: Dialect, migrate: () => Promise<string[]>): StoreWithoutKeyChanges {
  let closing: Promise<void> | undefined;
  return {
    dialect,
    kysely,
    migrate,
    clients: clientsRepository(kysely),
    users: usersRepository(kysely),
    sessions: sessionsRepository(kysely),
    interactions: interactionsRepository(kysely),
    grants: grantsRepository(kysely),
    codes: authorizationCodesRepository(kysely),
    tokens: tokensRepository(kysely),
    consents: consentsRepository(kysely),
    keys: keysRepository(kysely),
    replay: replayRepository(kysely),
    rateLimits: rateLimitsRepository(kysely),
    deviceCodes: deviceCodesRepository(kysely),
    apis: apisRepository(kysely),
    purgeExpired: (now) => purgeExpired(kysely, now),
    close: () => (closing ??= kysely.destroy()),
  };
}
