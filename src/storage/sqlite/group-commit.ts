import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type SqliteStatement,
} from 'kysely';
import { TurnStage, type TurnEnd } from '../../runtime/turn-end.js';
import type { ProbeSink } from '../probe.js';
import { classifyStoreError, StoreUnavailableError } from '../unavailable.js';

/** A prepared statement; `readonly` when it cannot write (a plain SELECT, not an UPDATE ... RETURNING). */
export interface SqliteHandleStatement extends SqliteStatement {
  readonly readonly: boolean;
}

/** The one better-sqlite3 connection, with its prepared-statement cache. */
export interface SqliteHandle {
  prepare(sql: string): SqliteHandleStatement;
  readonly inTransaction: boolean;
  close(): void;
}

const TRANSACTION_START = /^\s*begin\b/i;
const TRANSACTION_END = /^\s*(commit|end|rollback)\b(?!\s+to\b)/i;

/** A statement of a batch, run with the others of its turn; its caller waits for the batch's COMMIT. */
interface Queued {
  statement: SqliteStatement;
  parameters: ReadonlyArray<unknown>;
  resolve(result: QueryResult<unknown>): void;
  reject(error: unknown): void;
}

interface Batch {
  queued: Queued[];
}

/** Statements whose BEGIN IMMEDIATE found the write lock held by another process: retried until `deadline`. */
interface Blocked {
  queued: Queued[];
  deadline: number;
  timer: ReturnType<typeof setTimeout>;
}

export interface GroupCommitOptions {
  /**
   * Wait this long, asynchronously, for a write lock held by another process (the connection's own busy timeout
   * must then be 0), and fail the writes with StoreUnavailableError after it. Unset: the connection's busy
   * timeout applies, and blocks the event loop while it waits (fine for the CLI, not for the server).
   */
  lockWaitMs?: number;
  /** Told each statement's time and each batch's size (storage/probe.ts). */
  probe?: ProbeSink;
}

/** #commitQueued's answer when another process holds the write lock. */
const LOCKED = 'locked' as const;

/** How often BEGIN IMMEDIATE is tried again while another process holds the write lock. */
const LOCK_RETRY_MS = 10;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function lockTimeout(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError('another process has held the SQLite write lock for too long', { cause, retryAfter: 1 });
}

/**
 * Group commit for SQLite. Statements outside an explicit transaction that arrive while the event loop is
 * busy (the requests of one turn) are queued, then run back to back in one shared transaction at the end of
 * the turn and committed together; each caller's promise settles only after that COMMIT, so nobody answers
 * before their write is as durable as an autocommit write (WAL, synchronous = NORMAL). One commit per turn
 * instead of one per statement: pages shared by the writes (index leaves, the table's last page) go to the
 * WAL once, and WAL checkpoints (each with an fsync that blocks the event loop) come several times less often.
 * Running the statements together rather than each when its request asks keeps SQLite's code and pages in the
 * CPU caches (client credentials under load: 57-67 before, 53-56 µs of server CPU per request after).
 *
 * Reads that arrive while a batch is open join it: they run after the writes queued before them, see them,
 * and wait for the commit as well, so no answer is ever based on uncommitted data. Reads that arrive with no
 * batch open share one read transaction until the end of the turn (or the first write) and answer at once:
 * they see what was committed when the turn's first read began, and the turn takes SQLite's WAL read lock
 * once instead of once per statement. Explicit transactions (Kysely `transaction()`, or `begin` on a
 * `connection()`) commit the open batch first, then run alone: other statements wait until they end.
 * A statement that fails inside a batch fails only its caller (SQLite undoes that statement); if SQLite
 * had to abandon the whole transaction, its callers so far get the error and the rest of the batch runs in a
 * new transaction; if the COMMIT fails, every caller of the batch gets the error.
 *
 * With `lockWaitMs`, a BEGIN IMMEDIATE (of a batch or an explicit transaction) that finds the write lock held by
 * another process is tried again from a timer until the lock is free or the time is up, when its callers get
 * StoreUnavailableError; meanwhile the event loop runs, reads answer from what is committed, and later writes
 * queue behind the blocked ones.
 */
class GroupCommitDriver implements Driver {
  readonly #db: SqliteHandle;
  readonly #turnEnd: TurnEnd;
  readonly #lockWaitMs: number | undefined;
  readonly #probe: ProbeSink | undefined;
  #batch: Batch | undefined;
  #blocked: Blocked | undefined;
  /** The read transaction shared by the reads of this turn, if one is open. */
  #readTurn: object | undefined;
  /** The connection running an explicit transaction, if any. */
  #owner: GroupCommitConnection | undefined;
  #ownerReleased: Promise<void> = Promise.resolve();
  #releaseOwner: () => void = () => undefined;

  constructor(db: SqliteHandle, turnEnd: TurnEnd, options: GroupCommitOptions) {
    this.#db = db;
    this.#turnEnd = turnEnd;
    this.#lockWaitMs = options.lockWaitMs;
    this.#probe = options.probe;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupCommitConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Immediate: every explicit transaction writes, and takes the write lock up front (waiting for it as a batch does).
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A connection handed back in the middle of its transaction (an error between begin and commit).
    if (this.#owner === connection) {
      if (this.#db.inTransaction) this.#db.prepare('rollback').run([]);
      this.#endOwnership();
    }
  }

  async destroy(): Promise<void> {
    this.#endReadTurn();
    this.#commitBatch();
    const blocked = this.#blocked;
    if (blocked !== undefined) {
      this.#blocked = undefined;
      clearTimeout(blocked.timer);
      const error = new StoreUnavailableError('the store closed while waiting for the SQLite write lock');
      for (const caller of blocked.queued) caller.reject(error);
    }
    this.#db.close();
  }

  /** Runs one statement for `connection`, batching it when it is outside an explicit transaction. */
  execute(connection: GroupCommitConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    const probe = this.#probe;
    if (probe?.listener === undefined) return this.#execute(connection, query);
    // Timed: a statement answered at once (a read) is told at once; one that waits (a batch, a lock) when it settles.
    const startedAt = performance.now();
    const settled = (failed: boolean) => probe.query(query.sql, startedAt, failed);
    const timed = (pending: Promise<QueryResult<unknown>>) =>
      pending.then(
        (result) => (settled(false), result),
        (error: unknown) => (settled(true), Promise.reject(error)),
      );
    if (this.#owner !== undefined && this.#owner !== connection) return timed(this.#executeAfterOwner(connection, query));
    try {
      const outcome = this.#executeNow(connection, query);
      if (outcome instanceof Promise) return timed(outcome);
      settled(false);
      return Promise.resolve(outcome);
    } catch (error) {
      settled(true);
      return Promise.reject(classifyStoreError(error));
    }
  }

  #execute(connection: GroupCommitConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.#owner !== undefined && this.#owner !== connection) return this.#executeAfterOwner(connection, query);
    // Not an async function: a query runs on every request, and this spares it a promise and the extra turns of
    // the microtask queue that an async function returning a promise costs.
    try {
      const outcome = this.#executeNow(connection, query);
      return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
    } catch (error) {
      return Promise.reject(classifyStoreError(error));
    }
  }

  async #executeAfterOwner(connection: GroupCommitConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    while (this.#owner !== undefined && this.#owner !== connection) await this.#ownerReleased;
    return this.#execute(connection, query);
  }

  #executeNow(connection: GroupCommitConnection, query: CompiledQuery): QueryResult<unknown> | Promise<QueryResult<unknown>> {
    if (this.#owner === undefined && TRANSACTION_START.test(query.sql)) {
      this.#endReadTurn();
      this.#commitBatch();
      let result: QueryResult<unknown>;
      try {
        result = run(this.#db.prepare(query.sql), query.parameters);
      } catch (error) {
        if (this.#lockWaitMs !== undefined && isBusy(error)) return this.#beginWhenUnlocked(connection, query, Date.now() + this.#lockWaitMs);
        throw error;
      }
      this.#takeOwnership(connection);
      return result;
    }
    if (this.#owner === connection) {
      const result = run(this.#db.prepare(query.sql), query.parameters);
      if (TRANSACTION_END.test(query.sql) && !this.#db.inTransaction) this.#endOwnership();
      return result;
    }
    const statement = this.#db.prepare(query.sql);
    // While writes wait for another process's write lock, reads answer from what is committed instead of with them.
    if (statement.readonly && (this.#batch === undefined || this.#blocked !== undefined)) {
      this.#openReadTurn();
      return run(statement, query.parameters);
    }
    if (this.#batch === undefined) {
      this.#endReadTurn();
      this.#openBatch();
    }
    const batch = this.#batch as Batch;
    return new Promise((resolve, reject) => {
      batch.queued.push({ statement, parameters: query.parameters, resolve, reject });
    });
  }

  /** An explicit transaction's BEGIN, tried again until the other process lets go of the write lock. */
  async #beginWhenUnlocked(connection: GroupCommitConnection, query: CompiledQuery, deadline: number): Promise<QueryResult<unknown>> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      while (this.#owner !== undefined && this.#owner !== connection) await this.#ownerReleased;
      this.#endReadTurn();
      this.#commitBatch();
      try {
        const result = run(this.#db.prepare(query.sql), query.parameters);
        this.#takeOwnership(connection);
        return result;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) throw lockTimeout(error);
      }
    }
  }

  async *stream(connection: GroupCommitConnection, query: CompiledQuery): AsyncIterableIterator<QueryResult<unknown>> {
    while (this.#owner !== undefined && this.#owner !== connection) await this.#ownerReleased;
    if (!SelectQueryNode.is(query.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    if (this.#owner !== connection) {
      this.#endReadTurn();
      this.#commitBatch();
    }
    for (const row of this.#db.prepare(query.sql).iterate(query.parameters)) yield { rows: [row] };
  }

  #openReadTurn(): void {
    if (this.#readTurn !== undefined) return;
    this.#db.prepare('begin').run([]);
    const turn = {};
    this.#readTurn = turn;
    this.#turnEnd.at(TurnStage.Commit, () => {
      if (this.#readTurn === turn) this.#endReadTurn();
    });
  }

  #endReadTurn(): void {
    if (this.#readTurn === undefined) return;
    this.#readTurn = undefined;
    // Ending a read-only transaction cannot lose anything; if it fails, the transaction is gone anyway.
    try {
      if (this.#db.inTransaction) this.#db.prepare('commit').run([]);
    } catch {
      if (this.#db.inTransaction) this.#db.prepare('rollback').run([]);
    }
  }

  #openBatch(): void {
    const batch: Batch = { queued: [] };
    this.#batch = batch;
    // In the commit stage of the end of the turn (runtime/turn-end.ts): after the turn's tokens are signed.
    this.#turnEnd.at(TurnStage.Commit, () => {
      if (this.#batch === batch) this.#commitBatch();
    });
  }

  /** Runs the statements of the open batch back to back in one transaction, and commits it. */
  #commitBatch(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    this.#endReadTurn();
    // Writes after blocked ones wait with them, and commit after them.
    if (this.#blocked !== undefined) this.#blocked.queued.push(...batch.queued);
    else this.#commitAll(batch.queued, undefined);
  }

  #commitAll(queued: Queued[], deadline: number | undefined): void {
    let rest = queued;
    while (rest.length > 0) {
      const next = this.#commitQueued(rest);
      if (next === LOCKED) {
        this.#block(rest, deadline ?? Date.now() + (this.#lockWaitMs ?? 0));
        return;
      }
      rest = next;
    }
  }

  #block(queued: Queued[], deadline: number): void {
    if (Date.now() >= deadline) {
      const error = lockTimeout(undefined);
      for (const caller of queued) caller.reject(error);
      return;
    }
    this.#blocked = { queued, deadline, timer: setTimeout(() => this.#retryBlocked(), LOCK_RETRY_MS) };
  }

  #retryBlocked(): void {
    const blocked = this.#blocked;
    if (blocked === undefined) return;
    this.#blocked = undefined;
    // An explicit transaction of this process holds the connection: the batch goes after it.
    if (this.#owner !== undefined) {
      this.#block(blocked.queued, blocked.deadline);
      return;
    }
    this.#endReadTurn();
    this.#commitAll(blocked.queued, blocked.deadline);
  }

  /**
   * Runs `queued` in one transaction, commits it, then settles each caller: with its statement's result, or its
   * own error (SQLite undid only that statement). When BEGIN or COMMIT fails, nothing is stored and every caller
   * without an error of its own gets that error. When a statement makes SQLite give up the whole transaction,
   * the callers up to it get the error and the statements after it, which never ran, are returned to run anew.
   */
  #commitQueued(queued: Queued[]): Queued[] | typeof LOCKED {
    const results: Array<QueryResult<unknown> | undefined> = new Array(queued.length);
    const errors = new Map<number, unknown>();
    let ran = queued.length;
    let lost = false;
    let lostBecause: unknown;
    try {
      try {
        this.#db.prepare('begin immediate').run([]);
      } catch (error) {
        // Nothing ran: with an asynchronous wait for the lock, the whole batch waits.
        if (this.#lockWaitMs !== undefined && isBusy(error)) return LOCKED;
        throw error;
      }
      this.#probe?.batch(queued.length);
      for (let i = 0; i < queued.length; i++) {
        const { statement, parameters } = queued[i] as Queued;
        try {
          results[i] = run(statement, parameters);
        } catch (error) {
          errors.set(i, error);
          if (!this.#db.inTransaction) {
            ran = i + 1;
            throw error;
          }
        }
      }
      this.#db.prepare('commit').run([]);
    } catch (error) {
      lost = true;
      lostBecause = error;
      if (this.#db.inTransaction) {
        try {
          this.#db.prepare('rollback').run([]);
        } catch {
          // the transaction is gone either way
        }
      }
    }
    for (let i = 0; i < ran; i++) {
      const caller = queued[i] as Queued;
      if (errors.has(i)) caller.reject(classifyStoreError(errors.get(i)));
      else if (lost) caller.reject(classifyStoreError(lostBecause));
      else caller.resolve(results[i] as QueryResult<unknown>);
    }
    return ran < queued.length ? queued.slice(ran) : [];
  }

  #takeOwnership(connection: GroupCommitConnection): void {
    this.#owner = connection;
    this.#ownerReleased = new Promise((resolve) => {
      this.#releaseOwner = resolve;
    });
  }

  #endOwnership(): void {
    this.#owner = undefined;
    this.#releaseOwner();
  }
}

class GroupCommitConnection implements DatabaseConnection {
  readonly #driver: GroupCommitDriver;

  constructor(driver: GroupCommitDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream(this, query) as AsyncIterableIterator<QueryResult<R>>;
  }
}

function run(statement: SqliteStatement, parameters: ReadonlyArray<unknown>): QueryResult<unknown> {
  if (statement.reader) return { rows: statement.all(parameters) as unknown[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs one compiled query the way Kysely's executor would, without its per-query steps. */
export type DirectExecute = (query: CompiledQuery) => Promise<QueryResult<unknown>>;

/** Kysely's SQLite dialect with the group-commit driver; batches commit in the Commit stage of `turnEnd`. */
export class GroupCommitDialect implements Dialect {
  readonly #db: SqliteHandle;
  readonly #turnEnd: TurnEnd;
  readonly #options: GroupCommitOptions;
  #driver: GroupCommitDriver | undefined;

  constructor(db: SqliteHandle, turnEnd: TurnEnd, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#turnEnd = turnEnd;
    this.#options = options;
  }

  createDriver(): Driver {
    this.#driver = new GroupCommitDriver(this.#db, this.#turnEnd, this.#options);
    return this.#driver;
  }

  /**
   * The driver's own entry for prepared queries (repositories/prepared.ts): Kysely's executor costs a few
   * microseconds per query (acquiring and releasing a connection, result plugins, several promises), and the
   * group-commit driver needs none of it: its connections are views of the one SQLite connection. Queries
   * run this way join batches and wait for explicit transactions exactly like those that go through Kysely.
   * Available once Kysely has created the driver (in its constructor).
   */
  directExecute(): DirectExecute {
    const driver = this.#driver;
    if (driver === undefined) throw new Error('the group-commit driver has not been created yet');
    const connection = new GroupCommitConnection(driver);
    return (query) => driver.execute(connection, query);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
