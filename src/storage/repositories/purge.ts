/**
 * Guarantee: no statement of a purge deletes more than `batchSize` rows, each runs in its own short transaction,
 * and after each the purge pauses as long as the statement took, so that millions of expired rows never hold a
 * lock, a transaction or the event loop for long, and the purge takes at most about half of the time meanwhile.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Dialect } from '../database.js';
import type { PurgedTable, PurgeOptions, PurgeReport } from '../types.js';

/** Each table whose rows end with an `expires_at` (each has an index on it), in the order they are purged. */
export const EXPIRING_TABLES = [
  'authorization_codes',
  'device_codes',
  'tokens',
  'sessions',
  'interactions',
  'replay',
  'rate_limits',
  'federation_states',
  'account_tokens',
  'passkey_challenges',
  'pushed_authorization_requests',
  'registration_tokens',
] as const satisfies ReadonlyArray<PurgedTable>;

/**
 * A statement's rows: SQLite's better-sqlite3 runs it on the event loop, so a batch there is kept small
 * (a few milliseconds); PostgreSQL runs it elsewhere, and larger batches cost fewer round trips.
 */
export const DEFAULT_BATCH_SIZE: Record<Dialect, number> = { sqlite: 1000, postgres: 5000 };

/** The longest pause between two batches, whatever the last one took. */
const MAX_PAUSE_MS = 1000;

/**
 * The key of the PostgreSQL advisory lock that elects the purging instance: one per schema, since advisory
 * locks are per database and several Latch installations (or test runs) may share one in separate schemas.
 */
const LOCK_KEY = sql<string>`hashtextextended('latch:purge:' || current_schema(), 0)`;

export function emptyCounts(): Record<PurgedTable, number> {
  return Object.fromEntries([...EXPIRING_TABLES, 'events'].map((table) => [table, 0])) as Record<PurgedTable, number>;
}

/**
 * Deletes every row whose lifetime ended at or before `now`, and the events older than `eventsBefore` (the audit
 * trail's retention), table by table in batches of at most `batchSize` rows, until a batch comes back short
 * (or `signal` aborts: the run stops after the batch under way, and reports what it deleted).
 * Grants and consents do not expire.
 *
 * On PostgreSQL only the instance that holds the advisory lock purges; the others skip (`ran: false`). The lock is
 * session-level, taken with pg_try_advisory_lock on one connection of the pool that is kept for the whole run, and
 * every batch runs on that connection, one autocommitted statement each:
 * - instances racing: exactly one takes the lock and purges to the end; the others see it taken and skip at once,
 *   rather than take turns batch by batch as a per-batch pg_try_advisory_xact_lock would let them (the work split
 *   between instances that would each stop at the first batch they lose);
 * - the holder dies (process killed, connection cut): PostgreSQL ends its session and with it releases the lock
 *   (as soon as it notices the connection gone: at once for a killed process, after the server's TCP keepalive for
 *   a vanished host), so the next run of another instance purges; a transaction-level lock would need the whole run
 *   in one long transaction, the very thing the batches avoid;
 * - the run ends or fails: the lock is released on its connection before the connection goes back to the pool
 *   (a connection that broke has lost its session, and the lock with it).
 * Behind a pooler in transaction mode (PgBouncer) a session lock does not hold; point Latch at PostgreSQL itself.
 */
export async function purgeExpired(db: Kysely<Database>, dialect: Dialect, now: number, options: PurgeOptions = {}): Promise<PurgeReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE[dialect];
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`purge batch size must be a positive integer, not ${batchSize}`);
  const batches: Batches = { batchSize, signal: options.signal };
  if (dialect === 'sqlite') {
    // One process writes; each statement joins the writes of its turn and commits with them (group-commit.ts).
    return { ran: true, deleted: await purgeTables(db, dialect, now, batches, options.eventsBefore) };
  }
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${LOCK_KEY}) as locked`.execute(connection);
    if (rows[0]?.locked !== true) return { ran: false, deleted: emptyCounts() };
    try {
      return { ran: true, deleted: await purgeTables(connection, dialect, now, batches, options.eventsBefore) };
    } finally {
      await sql`select pg_advisory_unlock(${LOCK_KEY})`.execute(connection).catch(() => undefined);
    }
  });
}

interface Batches {
  batchSize: number;
  signal: AbortSignal | undefined;
}

async function purgeTables(db: Kysely<Database>, dialect: Dialect, now: number, batches: Batches, eventsBefore: number | undefined): Promise<Record<PurgedTable, number>> {
  const deleted = emptyCounts();
  for (const table of EXPIRING_TABLES) deleted[table] = await purgeTable(db, dialect, table, sql`expires_at <= ${now}`, batches);
  if (eventsBefore !== undefined) deleted.events = await purgeTable(db, dialect, 'events', sql`at < ${eventsBefore}`, batches);
  return deleted;
}

/** Deletes the rows of `table` that match `expired`, at most `batchSize` per statement, until a batch comes back short. */
async function purgeTable(
  db: Kysely<Database>,
  dialect: Dialect,
  table: PurgedTable,
  expired: ReturnType<typeof sql>,
  { batchSize, signal }: Batches,
): Promise<number> {
  // The physical row address, which every table has whatever its key: SQLite's rowid (no table is WITHOUT ROWID),
  // PostgreSQL's ctid (`= any(array(...))` makes a TID scan of the rows the index found).
  const statement =
    dialect === 'sqlite'
      ? sql`delete from ${sql.table(table)} where rowid in (select rowid from ${sql.table(table)} where ${expired} limit ${batchSize})`
      : sql`delete from ${sql.table(table)} where ctid = any(array(select ctid from ${sql.table(table)} where ${expired} limit ${batchSize}))`;
  let total = 0;
  for (;;) {
    if (signal?.aborted === true) return total;
    const started = performance.now();
    const result = await statement.execute(db);
    const count = Number(result.numAffectedRows ?? 0n);
    total += count;
    if (count < batchSize) return total;
    // As long a pause as the batch took: the purge takes at most about half of the event loop (SQLite) or of
    // the database's time, however many rows are left; the requests get the rest.
    await pause(Math.min(performance.now() - started, MAX_PAUSE_MS), signal);
  }
}

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
