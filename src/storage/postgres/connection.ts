import os from 'node:os';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Database } from '../database.js';
import type { PoolStats, ProbeSink } from '../probe.js';
import { classifyStoreError } from '../unavailable.js';
import { postgresReason, postgresTarget, StoreOpenError } from '../open-error.js';
import { migrationProvider } from './migration-provider.js';
import { preparedQueries } from './prepared-statements.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Type parsers for this pool only (not pg's global ones): bigint (Unix seconds, counts) becomes a
 * number, and json/jsonb stay text so that `repositories/codec.ts` parses JSON for both dialects.
 */
const getTypeParser = ((oid: number, format?: 'text' | 'binary') => {
  if (oid === pg.types.builtins.INT8) return parseInt8;
  if (oid === pg.types.builtins.JSON || oid === pg.types.builtins.JSONB) return (text: string) => text;
  return pg.types.getTypeParser(oid, format as 'text');
}) as typeof pg.types.getTypeParser;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} does not fit in a JavaScript number`);
  return value;
}

export interface OpenedPostgres {
  kysely: Kysely<Database>;
  /** The schema that holds Latch's tables. */
  schema: string;
  /** What the pool connects with, for a dedicated connection (LISTEN). */
  connectionString: string;
  /** The pool's connections right now (metrics). */
  poolStats(): PoolStats;
}

export interface PostgresOptions {
  /** With a schema, every connection uses it as its search_path and it is created if missing. */
  schema?: string;
  /** How long to wait for a connection (a new one, or a free one of the pool) before failing; default 5000. */
  connectTimeoutMs?: number;
  /** Told about a connection the pool lost while it was idle (the pool drops it and reconnects when needed). */
  onError?: (error: Error) => void;
  /** Told each statement's time (storage/probe.ts). */
  probe?: ProbeSink;
}

/**
 * Connects to `databaseUrl`. With `options.schema`, every connection uses it as its search_path and it is
 * created if missing; without, the server's default schema (usually `public`) is used.
 *
 * A lost connection (restart, failover, pg_terminate_backend, cut network) never ends the process: the pool
 * drops the client and opens a new one for the next query, and the queries that fail meanwhile reject with
 * StoreUnavailableError (unavailable.ts).
 */
export async function openPostgres(databaseUrl: string, options: PostgresOptions = {}): Promise<OpenedPostgres> {
  let { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
  }
  const connectionString = withDefaultUser(databaseUrl);
  const pool = new pg.Pool({
    connectionString,
    types: { getTypeParser },
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    keepAlive: true,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  const onError = options.onError ?? (() => undefined);
  // An idle client's error is re-emitted by the pool, which has already removed the client; without a listener
  // it would be an unhandled 'error' event, which ends the process.
  pool.on('error', (error) => onError(error));
  // A checked-out client loses its pool listener: its own keeps a break between two queries from ending the
  // process too (the next query on it rejects, and releasing it removes it from the pool).
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    if (schema !== undefined) {
      await createSchema(pool, schema);
    } else {
      const { rows } = await pool.query<{ schema: string | null }>('select current_schema() as schema');
      schema = rows[0]?.schema ?? undefined;
      if (!schema) throw new Error('PostgreSQL search_path names no existing schema; set one or pass a schema');
    }
  } catch (error) {
    await pool.end();
    throw new StoreOpenError('postgres', postgresTarget(connectionString), postgresReason(error), { cause: error });
  }
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { kysely: new Kysely<Database>({ dialect: new PostgresDialect({ pool: classifyingPool(pool, options.probe) }) }), schema, connectionString, poolStats };
}

/**
 * The pool as Kysely sees it, its connection and query failures classified once (StoreUnavailableError), its
 * statements with parameters prepared once per connection (prepared-statements.ts), and timed for the probe.
 */
function classifyingPool(pool: pg.Pool, probe: ProbeSink | undefined): PostgresPool {
  // Kysely keeps one connection object per client: hand it the same wrapper every time.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw classifyStoreError(error);
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        const inner = client;
        const query = preparedQueries(inner);
        wrapper = {
          query: ((text: string, parameters: unknown[]) => {
            const startedAt = probe?.listener === undefined ? -1 : performance.now();
            const settled = query(text, parameters).catch((error: unknown) => Promise.reject(classifyStoreError(error)));
            if (startedAt < 0 || probe === undefined) return settled;
            return settled.then(
              (result) => (probe.query(text, startedAt, false), result),
              (error: unknown) => (probe.query(text, startedAt, true), Promise.reject(error)),
            );
          }) as PostgresPoolClient['query'],
          release: () => inner.release(),
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * Like libpq, a URL without a user name connects as the operating-system user. pg falls back to
 * $PGUSER and $USER only, and services often run without $USER.
 */
function withDefaultUser(databaseUrl: string): string {
  if (process.env.PGUSER || process.env.USER) return databaseUrl;
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return databaseUrl;
  }
  if (url.username || !url.hostname) return databaseUrl;
  url.username = encodeURIComponent(os.userInfo().username);
  return url.toString();
}

async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    await pool.query(`create schema if not exists "${schema}"`);
  } catch (error) {
    // Two processes creating the same schema at once: one may fail on the catalog's unique index.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

/** Applies pending migrations in one transaction, under Kysely's advisory lock. */
export async function migratePostgres(db: Kysely<Database>, schema: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error;
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
