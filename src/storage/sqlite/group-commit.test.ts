import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnEnd, TurnStage } from '../../runtime/turn-end.js';
import { openSqlite, SQLITE_FILE_NAME } from './connection.js';

interface Db {
  items: { id: string; n: number };
}

describe('group commit (SQLite)', () => {
  let dir = '';
  let db: Kysely<Db>;
  let turnEnd: TurnEnd;
  /** A second, independent connection: it sees only committed data. */
  let observer: BetterSqlite3.Database;
  const committedIds = () => (observer.prepare('select id from items order by id').all() as { id: string }[]).map((r) => r.id);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-group-commit-'));
    turnEnd = new TurnEnd();
    db = openSqlite(dir, turnEnd) as unknown as Kysely<Db>;
    await sql`create table items (id text primary key, n integer not null)`.execute(db);
    observer = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME), { readonly: true });
  });

  afterEach(async () => {
    observer.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insert = (id: string, n = 1) => db.insertInto('items').values({ id, n }).execute();

  it('resolves a write only once it is committed, and commits the writes of one turn together', async () => {
    const writes = ['a', 'b', 'c'].map((id) => insert(id));
    // The statements have run, but their shared transaction is not committed yet.
    expect(committedIds()).toEqual([]);
    await writes[0];
    expect(committedIds()).toEqual(['a', 'b', 'c']);
    await Promise.all(writes);
  });

  it('fails only the statement that fails; the others of the batch commit', async () => {
    await insert('dup');
    const results = await Promise.allSettled([insert('x'), insert('dup'), insert('y')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(committedIds()).toEqual(['dup', 'x', 'y']);
  });

  it('when SQLite gives up the whole transaction, fails the statements so far and commits the rest anew', async () => {
    // RAISE(ROLLBACK) makes SQLite roll back the whole transaction, not only the statement.
    await sql`create trigger boom before insert on items when new.id = 'boom' begin select raise(rollback, 'boom'); end`.execute(db);
    const results = await Promise.allSettled([insert('a'), insert('boom'), insert('c'), insert('d')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/boom/);
    expect(committedIds()).toEqual(['c', 'd']);
    // Batching goes on.
    await Promise.all([insert('e'), insert('f')]);
    expect(committedIds()).toEqual(['c', 'd', 'e', 'f']);
  });

  it('makes a read that arrives during an open batch wait for its commit, and see its writes', async () => {
    const write = insert('w', 7);
    const read = db.selectFrom('items').selectAll().where('id', '=', 'w').executeTakeFirst();
    const row = await read;
    expect(row).toEqual({ id: 'w', n: 7 });
    expect(committedIds()).toEqual(['w']);
    await write;
  });

  it('lets the reads of one turn share a read transaction, ended by the turn or by a write', async () => {
    await insert('a');
    const other = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME));
    try {
      const ids = async () => (await db.selectFrom('items').select('id').orderBy('id').execute()).map((r) => r.id);
      expect(await ids()).toEqual(['a']);
      // Another connection commits between two reads of the same turn: the second read still sees the turn's snapshot.
      other.prepare("insert into items (id, n) values ('b', 1)").run();
      expect(await ids()).toEqual(['a']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await ids()).toEqual(['a', 'b']);
      // A write in the middle of a read turn ends it, and commits as usual.
      const read = ids();
      await insert('c');
      expect(await read).toEqual(['a', 'b']);
      expect(committedIds()).toEqual(['a', 'b', 'c']);
    } finally {
      other.close();
    }
  });

  it('answers a read at once when no write is pending', async () => {
    await insert('r');
    expect(await db.selectFrom('items').select('id').execute()).toEqual([{ id: 'r' }]);
  });

  it('commits the open batch before an explicit transaction, which runs alone', async () => {
    const before = insert('before');
    const order: string[] = [];
    const transaction = db.transaction().execute(async (trx) => {
      order.push('trx start');
      expect(committedIds()).toEqual(['before']);
      await trx.insertInto('items').values({ id: 'in-trx', n: 1 }).execute();
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('trx end');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const during = insert('during').then(() => order.push('during written'));
    await Promise.all([before, transaction, during]);
    expect(order).toEqual(['trx start', 'trx end', 'during written']);
    expect(committedIds()).toEqual(['before', 'during', 'in-trx']);
  });

  it('rolls back an explicit transaction that throws, and goes on batching afterwards', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 'lost', n: 1 }).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await Promise.all([insert('p'), insert('q')]);
    expect(committedIds()).toEqual(['p', 'q']);
  });

  it('commits in the Commit stage of the turn end it was given: after the signing, before the answers, in one turn', async () => {
    const signing = turnEnd.queue(TurnStage.Sign, () => undefined);
    const answers = turnEnd.queue(undefined, () => undefined);
    let committedWhenAnswered: string[] | undefined;
    const answered = new Promise<void>((resolve) => {
      // A token signed at the end of the turn, then stored by the continuation of its signing, then answered.
      signing.defer(
        () =>
          void Promise.resolve().then(async () => {
            await insert('signed');
            answers.defer(() => ((committedWhenAnswered = committedIds()), resolve()), undefined, undefined);
          }),
        undefined,
        undefined,
      );
    });
    let seenByNextCallback: string[] | undefined;
    setImmediate(() => (seenByNextCallback = committedIds()));
    await answered;
    await new Promise((resolve) => setImmediate(resolve));
    expect(committedWhenAnswered).toEqual(['signed']);
    // All of it in the check phase of the turn that signed: the next callback of that phase sees it committed.
    expect(seenByNextCallback).toEqual(['signed']);
  });

  it('counts affected rows per statement inside a batch (one-time use stays one-time)', async () => {
    await insert('once', 0);
    const consume = () => db.updateTable('items').set({ n: 1 }).where('id', '=', 'once').where('n', '=', 0).executeTakeFirst();
    const [first, second] = await Promise.all([consume(), consume()]);
    expect([first.numUpdatedRows, second.numUpdatedRows]).toEqual([1n, 0n]);
  });
});
