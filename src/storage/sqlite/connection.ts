import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, sql } from 'kysely';
import type { Database } from '../database.js';
import type { TurnEnd } from '../../runtime/turn-end.js';
import type { ProbeSink } from '../probe.js';
import { GroupCommitDialect, type SqliteHandle, type SqliteHandleStatement } from './group-commit.js';
import { registerDirectExecute } from '../repositories/prepared.js';
import { migrationProvider } from './migration-provider.js';

export const SQLITE_FILE_NAME = 'latch.db';

/**
 * Opens `<dataDir>/latch.db`, creating the directory if missing. WAL lets the CLI write while the
 * server runs; the busy timeout makes either wait for the other's write lock instead of failing.
 */
export function openSqlite(dataDir: string, turnEnd: TurnEnd): Kysely<Database> {
  return openSqliteDatabase(dataDir, turnEnd).kysely;
}

export interface OpenedSqlite {
  kysely: Kysely<Database>;
  /** SQLite's `PRAGMA data_version`: changes when another connection has committed. */
  dataVersion(): number;
}

/**
 * The writes of a turn commit together in the Commit stage of `turnEnd` (group-commit.ts).
 * `lockWaitMs` (the server): the connection never blocks the event loop on another process's write lock; its
 * writes wait for it asynchronously up to that long (group-commit.ts), then fail with StoreUnavailableError.
 * Without (the CLI, which may block): SQLite's busy timeout waits up to 5 s.
 */
export function openSqliteDatabase(dataDir: string, turnEnd: TurnEnd, lockWaitMs?: number, probe?: ProbeSink): OpenedSqlite {
  const file = createPrivately(dataDir);
  const busyTimeout = lockWaitMs === undefined ? 5000 : 0;
  const db = new BetterSqlite3(file, { timeout: busyTimeout });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeout}`);
  } catch (error) {
    db.close();
    throw error;
  }
  const dataVersion = db.prepare('pragma data_version').pluck();
  const dialect = new GroupCommitDialect(new CachedStatements(db), turnEnd, { ...(lockWaitMs !== undefined && { lockWaitMs }), ...(probe && { probe }) });
  const kysely = new Kysely<Database>({ dialect });
  registerDirectExecute(kysely, dialect.directExecute());
  return { kysely, dataVersion: () => dataVersion.get() as number };
}

/**
 * The database holds every user, client and grant: like secret.key, only its owner may read it.
 * A new data directory is created 0700 and a new database file 0600; SQLite gives its -wal and
 * -shm files the mode of the database file.
 */
function createPrivately(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return file;
}

/**
 * Applies pending migrations inside one `BEGIN IMMEDIATE` transaction, so that a server and a
 * `latch migrate` starting together do not both apply them (Kysely takes no lock for SQLite).
 */
export async function migrateSqlite(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const { error, results = [] } = await new Migrator({ db: connection, provider: migrationProvider }).migrateToLatest();
      if (error) throw error;
      await sql`commit`.execute(connection);
      return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

const MAX_CACHED_STATEMENTS = 256;

/**
 * Kysely's SqliteDialect prepares every query anew; this keeps the most recently used prepared
 * statements by SQL text. Safe because statements run one at a time on the single connection.
 * Also binds booleans as 0/1, which better-sqlite3 otherwise rejects.
 */
class CachedStatements implements SqliteHandle {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, SqliteHandleStatement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  prepare(text: string): SqliteHandleStatement {
    const cached = this.#statements.get(text);
    if (cached) {
      this.#statements.delete(text);
      this.#statements.set(text, cached);
      return cached;
    }
    const statement = bindingBooleans(this.#db.prepare(text));
    this.#statements.set(text, statement);
    if (this.#statements.size > MAX_CACHED_STATEMENTS) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}

function bindingBooleans(statement: BetterSqlite3.Statement): SqliteHandleStatement {
  return {
    readonly: statement.readonly,
    reader: statement.reader,
    all: (parameters) => statement.all(sqliteValues(parameters)),
    run: (parameters) => statement.run(sqliteValues(parameters)),
    iterate: (parameters) => statement.iterate(sqliteValues(parameters)),
  };
}

function sqliteValues(parameters: ReadonlyArray<unknown>): unknown[] {
  return parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}
