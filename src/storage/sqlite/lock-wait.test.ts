import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnEnd } from '../../runtime/turn-end.js';
import { StoreUnavailableError } from '../unavailable.js';
import { openSqliteDatabase, SQLITE_FILE_NAME } from './connection.js';

interface Db {
  items: { id: string; n: number };
}

/** The server's connection (lockWaitMs) while another connection holds the write lock. */
describe('waiting for another process’s write lock (SQLite)', () => {
  let dir = '';
  let db: Kysely<Db>;
  /** Stands for the other process: an independent connection that takes the write lock. */
  let other: BetterSqlite3.Database;
  const committedIds = () => (other.prepare('select id from items order by id').all() as { id: string }[]).map((r) => r.id);
  const insert = (id: string, n = 1) => db.insertInto('items').values({ id, n }).execute();
  const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-lock-wait-'));
    db = openSqliteDatabase(dir, new TurnEnd(), 400).kysely as unknown as Kysely<Db>;
    await sql`create table items (id text primary key, n integer not null)`.execute(db);
    other = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME), { timeout: 0 });
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes wait without blocking, reads answer meanwhile, and the writes commit in order once the lock is free', async () => {
    await insert('seen');
    other.exec('begin immediate');
    const first = insert('a');
    await later(30);
    // A later turn's write queues behind the blocked one.
    const second = insert('b');
    // Reads answer from what is committed, while the writes wait.
    expect(await db.selectFrom('items').select('id').execute()).toEqual([{ id: 'seen' }]);
    other.exec('commit');
    await Promise.all([first, second]);
    expect(committedIds()).toEqual(['a', 'b', 'seen']);
  });

  it('fails the waiting writes with StoreUnavailableError when the lock is not released in time, and writes again after', async () => {
    other.exec('begin immediate');
    const started = Date.now();
    const failed = await insert('a').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect((failed as StoreUnavailableError).retryAfter).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    other.exec('rollback');
    await insert('b');
    expect(committedIds()).toEqual(['b']);
  });

  it('an explicit transaction waits for the lock too, and runs alone once it has it', async () => {
    other.exec('begin immediate');
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 't1', n: 1 }).execute();
      await trx.insertInto('items').values({ id: 't2', n: 2 }).execute();
    });
    await later(30);
    other.exec('commit');
    await transaction;
    expect(committedIds()).toEqual(['t1', 't2']);
  });

  it('an explicit transaction that cannot get the lock in time fails as unavailable', async () => {
    other.exec('begin immediate');
    const failed = await db
      .transaction()
      .execute(async (trx) => trx.insertInto('items').values({ id: 't', n: 1 }).execute())
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    other.exec('rollback');
    expect(committedIds()).toEqual([]);
  });
});
