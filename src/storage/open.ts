import path from 'node:path';
import type { Kysely } from 'kysely';
import { TurnEnd } from '../runtime/turn-end.js';
import type { Database, Dialect } from './database.js';
import { apisRepository } from './repositories/apis.js';
import { authorizationCodesRepository } from './repositories/codes.js';
import { clientsRepository } from './repositories/clients.js';
import { accountTokensRepository } from './repositories/account-tokens.js';
import { pushedRequestsRepository } from './repositories/pushed-requests.js';
import { clientRegistrationsRepository, registrationTokensRepository } from './repositories/registration.js';
import { connectionsRepository, federationStatesRepository, userIdentitiesRepository } from './repositories/connections.js';
import { passkeysRepository, recoveryCodesRepository, totpSecretsRepository } from './repositories/factors.js';
import { consentsRepository } from './repositories/consents.js';
import { deviceCodesRepository } from './repositories/device-codes.js';
import { eventsRepository } from './repositories/events.js';
import { grantsRepository } from './repositories/grants.js';
import { interactionsRepository } from './repositories/interactions.js';
import { keysRepository } from './repositories/keys.js';
import { purgeExpired } from './repositories/purge.js';
import { rateLimitsRepository } from './repositories/rate-limits.js';
import { replayRepository } from './repositories/replay.js';
import { sessionsRepository } from './repositories/sessions.js';
import { settingsRepository } from './repositories/settings.js';
import { tokensRepository } from './repositories/tokens.js';
import { usersRepository } from './repositories/users.js';
import { cachedApis, cachedClients, cachedRateLimits as cachedCounts } from './cached-lookups.js';
import { cachedRateLimits, ChangeWatch } from './sqlite/cached-lookups.js';
import { migrateSqlite, openSqliteDatabase, SQLITE_FILE_NAME } from './sqlite/connection.js';
import { sqliteReason, StoreOpenError } from './open-error.js';
import { announcingKeyWrites, KeyChangeHub, sqliteKeyChangeSource, type KeyChanges } from './key-changes.js';
import { createStoreProbe, type PoolStats, type ProbeSink, type StoreProbe } from './probe.js';
import type { Store } from './types.js';

export interface StoreOptions {
  /** SQLite: the database is `<dataDir>/latch.db`; the directory is created if missing. */
  dataDir: string;
  /** `postgres://` or `postgresql://` URL; when set, PostgreSQL is used instead of SQLite. */
  databaseUrl?: string;
  /** PostgreSQL only: schema to use (created if missing); for test isolation. */
  schema?: string;
  /**
   * SQLite: the end of the turn whose Commit stage commits the writes (runtime/turn-end.ts); the server passes the
   * one its key ring and app share. Without it, the store gets a turn end of its own (the CLI, tests).
   */
  turnEnd?: TurnEnd;
  /** PostgreSQL only: how long to wait for a connection before a query fails as unavailable; default 5000. */
  connectTimeoutMs?: number;
  /** PostgreSQL only: told about a connection lost while idle (the pool reconnects by itself). */
  onConnectionError?: (error: Error) => void;
  /**
   * SQLite only: never block the event loop on another process's write lock; wait for it asynchronously up to
   * this long, then fail the writes with StoreUnavailableError. Unset (the CLI): block up to 5 s.
   */
  sqliteLockWaitMs?: number;
  /** `redis://` or `rediss://` URL: rate limits, replay caches and interactions are then kept in Redis (redis/store.ts). */
  redisUrl?: string;
  /** Redis only: the prefix of every key; default `latch:`, or `latch:<schema>:` with a PostgreSQL schema. */
  redisKeyPrefix?: string;
}

export interface OpenedStore extends Store {
  /** Applies pending migrations; returns the names of those applied now. */
  migrate(): Promise<string[]>;
  readonly kysely: Kysely<Database>;
  /** The end of the turn this store commits in; PostgreSQL commits each write itself and schedules nothing on it. */
  readonly turnEnd: TurnEnd;
  /** Tells a running server when the signing keys change, here or in another process. */
  readonly keyChanges: KeyChanges;
  /** Statement times, SQLite batches and PostgreSQL's pool, for whoever attaches (observability/). */
  readonly probe: StoreProbe;
}

/** Opens the store chosen by `options`. Does not migrate. */
export async function openStore(options: StoreOptions): Promise<OpenedStore> {
  const store = await openSqlStore(options);
  if (options.redisUrl === undefined || options.redisUrl === '') return store;
  // Loaded only when used, like the pg driver; on SQLite its Redis-backed rate limits replace the cached ones.
  const { redisOptionsOf, withRedis } = await import('./redis/store.js');
  return withRedis(store, options.redisUrl, redisOptionsOf(options));
}

async function openSqlStore(options: StoreOptions): Promise<OpenedStore> {
  const turnEnd = options.turnEnd ?? new TurnEnd();
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    if (!/^postgres(ql)?:\/\//i.test(options.databaseUrl)) {
      throw new Error('databaseUrl must be a postgres:// or postgresql:// URL (leave it unset for SQLite)');
    }
    // Loaded only when used: the embedded default never needs the pg driver in memory.
    const { migratePostgres, openPostgres } = await import('./postgres/connection.js');
    let pool: (() => PoolStats) | undefined;
    const probe = createStoreProbe(() => pool?.());
    const { kysely, schema, connectionString, poolStats } = await openPostgres(options.databaseUrl, {
      probe,
      ...(options.schema !== undefined && { schema: options.schema }),
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.onConnectionError !== undefined && { onError: options.onConnectionError }),
    });
    pool = poolStats;
    const { postgresKeyChangeSource } = await import('./postgres/key-changes.js');
    const { PostgresChangeListener } = await import('./postgres/changes.js');
    // Clients and APIs are kept in memory while every change to them is heard (LISTEN/NOTIFY, postgres/changes.ts).
    const changes = new PostgresChangeListener({ connectionString, schema });
    const keyChanges = new KeyChangeHub(postgresKeyChangeSource({ kysely, schema, changes }));
    const { batchedRateLimits, batchedTokens } = await import('./postgres/batched.js');
    const store = createStore(kysely, 'postgres', turnEnd, () => migratePostgres(kysely, schema), probe);
    return withKeyChanges(
      {
        ...store,
        clients: cachedClients(store.clients, changes.watch('clients')),
        apis: cachedApis(store.apis, changes.watch('apis')),
        // The token writes, introspections and rate-limit reads of one turn: one round trip each (postgres/batched.ts).
        tokens: batchedTokens(store.tokens, kysely),
        // Client authentication's failure counts (read on every /token and /introspect request, almost always none)
        // are kept until a hit or reset anywhere is heard (migration 022's NOTIFY), and for a second at most; other
        // secrets' are read each time.
        rateLimits: cachedCounts(batchedRateLimits(store.rateLimits, kysely), changes.watch('rate_limits'), {
          cacheable: clientAuthenticationKey,
          maxAgeSeconds: 1,
        }),
      },
      keyChanges,
      () => changes.stop(),
    );
  }
  const probe = createStoreProbe();
  const { kysely, dataVersion } = openSqliteOrExplain(options.dataDir, turnEnd, options.sqliteLockWaitMs, probe);
  const store = createStore(kysely, 'sqlite', turnEnd, () => migrateSqlite(kysely), probe);
  // One process writes through one connection, so clients and APIs can be kept in memory until SQLite says otherwise.
  const watch = new ChangeWatch(dataVersion);
  const keyChanges = new KeyChangeHub(sqliteKeyChangeSource(dataVersion, () => keysFingerprint(store)));
  return withKeyChanges(
    { ...store, clients: cachedClients(store.clients, watch), apis: cachedApis(store.apis, watch), rateLimits: cachedRateLimits(store.rateLimits, watch) },
    keyChanges,
  );
}

function openSqliteOrExplain(dataDir: string, turnEnd: TurnEnd, lockWaitMs: number | undefined, probe: ProbeSink): ReturnType<typeof openSqliteDatabase> {
  try {
    return openSqliteDatabase(dataDir, turnEnd, lockWaitMs, probe);
  } catch (error) {
    throw new StoreOpenError('sqlite', path.join(dataDir, SQLITE_FILE_NAME), sqliteReason(error), { cause: error });
  }
}

/** The rate-limit keys of client authentication (core/accounts/throttle.ts throttleKeys: `<kind>:...`). */
const clientAuthenticationKey = (key: string) => key.startsWith('client_secret:');

type StoreWithoutKeyChanges = Omit<OpenedStore, 'keyChanges'>;

function withKeyChanges(store: StoreWithoutKeyChanges, hub: KeyChangeHub, stopWatching = async () => {}): OpenedStore {
  let closing: Promise<void> | undefined;
  return {
    ...store,
    keys: announcingKeyWrites(store.keys, hub),
    keyChanges: hub,
    close: () => (closing ??= hub.close().then(stopWatching).then(() => store.close())),
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

function createStore(kysely: Kysely<Database>, dialect: Dialect, turnEnd: TurnEnd, migrate: () => Promise<string[]>, probe: StoreProbe): StoreWithoutKeyChanges {
  let closing: Promise<void> | undefined;
  return {
    dialect,
    probe,
    kysely,
    turnEnd,
    migrate,
    clients: clientsRepository(kysely, dialect),
    users: usersRepository(kysely, dialect),
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
    events: eventsRepository(kysely),
    settings: settingsRepository(kysely),
    connections: connectionsRepository(kysely),
    identities: userIdentitiesRepository(kysely),
    federationStates: federationStatesRepository(kysely),
    accountTokens: accountTokensRepository(kysely),
    totpSecrets: totpSecretsRepository(kysely),
    recoveryCodes: recoveryCodesRepository(kysely),
    passkeys: passkeysRepository(kysely),
    pushedRequests: pushedRequestsRepository(kysely),
    registrationTokens: registrationTokensRepository(kysely),
    clientRegistrations: clientRegistrationsRepository(kysely),
    purgeExpired: (now, options) => purgeExpired(kysely, dialect, now, options),
    close: () => (closing ??= kysely.destroy()),
  };
}
