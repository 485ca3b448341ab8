import { sql, type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../database.js';
import type { OpenedStore } from '../open.js';
import { EXPIRING_TABLES, purgeExpired } from '../repositories/purge.js';
import type { ContractContext } from './contract.js';
import { aClient, NOW, uniqueId } from './fixtures.js';

/** Later than every expiry the other groups write (they stay below NOW + 10^7), so that a purge here clears them first. */
const AT = NOW + 40_000_000;

/**
 * Writes `count` client-credentials tokens (no grant, no person) of `clientId` expiring at `expiresAt`, several
 * hundred per statement; for purge tests and measurements that need many rows fast.
 */
export async function insertTokens(db: Kysely<Database>, clientId: string, count: number, expiresAt: number): Promise<void> {
  const prefix = uniqueId('bulk');
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({
      digest: `${prefix}-${start + i}`,
      kind: 'access_token',
      grant_id: null,
      client_id: clientId,
      sub: null,
      scope: 'read',
      audience: null,
      data: '{}',
      created_at: expiresAt - 3600,
      expires_at: expiresAt,
      consumed_at: null,
      revoked_at: null,
    }));
    await db.insertInto('tokens').values(rows).execute();
  }
}

async function countTokens(db: Kysely<Database>, clientId: string): Promise<{ live: number; dead: number }> {
  const rows = await db
    .selectFrom('tokens')
    .select([sql<number>`sum(case when expires_at <= ${AT} then 1 else 0 end)`.as('dead'), sql<number>`sum(case when expires_at > ${AT} then 1 else 0 end)`.as('live')])
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow();
  return { live: Number(rows.live ?? 0), dead: Number(rows.dead ?? 0) };
}

/** Sees the rows each write statement affected (a Kysely plugin on the store's own connections: no stand-in). */
class AffectedRows implements KyselyPlugin {
  readonly counts: number[] = [];

  constructor(readonly onCount: (count: number) => void = () => undefined) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (args.result.numAffectedRows !== undefined) {
      this.counts.push(Number(args.result.numAffectedRows));
      this.onCount(Number(args.result.numAffectedRows));
    }
    return args.result;
  }
}

const PURGE_LOCK_KEY = sql`hashtextextended('latch:purge:' || current_schema(), 0)`;

/** Holds the purge lock of `store`'s schema on one of its connections until `release()` (PostgreSQL). */
async function holdPurgeLock(store: OpenedStore): Promise<{ pid: number; release(): void; done: Promise<void> }> {
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let onLocked = (pid: number): void => void pid;
  const locked = new Promise<number>((resolve) => (onLocked = resolve));
  const done = store.kysely.connection().execute(async (connection) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_advisory_lock(${PURGE_LOCK_KEY})`.execute(connection);
    onLocked(rows[0]!.pid);
    await released;
    await sql`select pg_advisory_unlock(${PURGE_LOCK_KEY})`.execute(connection);
  });
  const pid = await Promise.race([locked, done.then(() => Promise.reject(new Error('lock not taken')))]);
  return { pid, release, done };
}

/** Whether another session can take the purge lock now (PostgreSQL); it gives it back at once. */
async function purgeLockFree(store: OpenedStore): Promise<boolean> {
  return store.kysely.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${PURGE_LOCK_KEY}) as locked`.execute(connection);
    if (rows[0]?.locked) await sql`select pg_advisory_unlock(${PURGE_LOCK_KEY})`.execute(connection);
    return rows[0]?.locked === true;
  });
}

export function purgeContract({ store, backend }: ContractContext): void {
  describe('purge in batches', () => {
    it('deletes 12,345 expired tokens in statements of at most 1000 rows, with turns of the event loop between, and no live one', async () => {
      const s = store();
      const client = aClient();
      await s.clients.create(client);
      await s.purgeExpired(AT);
      await insertTokens(s.kysely, client.clientId, 12_345, AT);
      await insertTokens(s.kysely, client.clientId, 250, AT + 1);

      const counter = new AffectedRows();
      let turns = 0;
      let ticking = true;
      const tick = (): void => {
        turns += 1;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const report = await purgeExpired(s.kysely.withPlugin(counter), s.dialect, AT, { batchSize: 1000 });
      ticking = false;

      expect(report.ran).toBe(true);
      expect(report.deleted.tokens).toBe(12_345);
      expect(await countTokens(s.kysely, client.clientId)).toEqual({ live: 250, dead: 0 });
      expect(Math.max(...counter.counts)).toBe(1000);
      // 12 full batches and a short one for the tokens; one short (empty) statement for each other table.
      expect(counter.counts.filter((n) => n === 1000)).toHaveLength(12);
      expect(counter.counts).toHaveLength(13 + EXPIRING_TABLES.length - 1);
      expect(turns).toBeGreaterThanOrEqual(12);
    });

    it('reports what it deleted per table, events included only when asked', async () => {
      const s = store();
      const client = aClient();
      await s.clients.create(client);
      await s.purgeExpired(AT);
      await insertTokens(s.kysely, client.clientId, 7, AT - 5);
      await s.replay.remember(uniqueId('jti'), AT, NOW);
      await s.replay.remember(uniqueId('jti'), AT + 1, NOW);

      const report = await s.purgeExpired(AT);
      expect(report).toEqual({ ran: true, deleted: expect.objectContaining({ tokens: 7, replay: 1, events: 0 }) });
      expect(Object.keys(report.deleted).sort()).toEqual([...EXPIRING_TABLES, 'events'].sort());
      expect(await s.purgeExpired(AT)).toEqual({ ran: true, deleted: Object.fromEntries(Object.keys(report.deleted).map((t) => [t, 0])) });
    });

    it('finds the expired rows of every table through an index that starts with its expiry column', async () => {
      const s = store();
      const tables: Array<[table: string, column: string]> = [...EXPIRING_TABLES.map((t): [string, string] => [t, 'expires_at']), ['events', 'at']];
      for (const [table, column] of tables) {
        if (s.dialect === 'sqlite') {
          const indexes = (await sql<{ name: string }>`select name from pragma_index_list(${table})`.execute(s.kysely)).rows;
          const leading = await Promise.all(indexes.map(async ({ name }) => (await sql<{ name: string }>`select name from pragma_index_info(${name}) where seqno = 0`.execute(s.kysely)).rows[0]?.name));
          expect(leading, table).toContain(column);
          const plan = (await sql.raw<{ detail: string }>(`explain query plan select rowid from ${table} where ${column} <= 5 limit 10`).execute(s.kysely)).rows.map((r) => r.detail).join(' | ');
          expect(plan, table).toMatch(new RegExp(`SEARCH ${table} USING (COVERING )?INDEX \\w+ \\(${column}<\\?\\)`));
        } else {
          const { rows } = await sql<{ indexdef: string }>`select indexdef from pg_indexes where schemaname = current_schema() and tablename = ${table}`.execute(s.kysely);
          expect(rows.map((r) => /\((\w+)/.exec(r.indexdef)?.[1]), table).toContain(column);
        }
      }
    });

    it('stops after the batch under way when its signal aborts, and reports what it deleted', async () => {
      const s = store();
      const client = aClient();
      await s.clients.create(client);
      await s.purgeExpired(AT);
      await insertTokens(s.kysely, client.clientId, 2_500, AT);
      const before = new AbortController();
      before.abort();
      expect(await s.purgeExpired(AT, { signal: before.signal })).toEqual({ ran: true, deleted: expect.objectContaining({ tokens: 0 }) });
      expect(await countTokens(s.kysely, client.clientId)).toEqual({ live: 0, dead: 2_500 });

      const during = new AbortController();
      const counter = new AffectedRows((count) => {
        if (count === 1000) during.abort();
      });
      const report = await purgeExpired(s.kysely.withPlugin(counter), s.dialect, AT, { batchSize: 1000, signal: during.signal });
      expect(report.deleted.tokens).toBe(1000);
      expect(await countTokens(s.kysely, client.clientId)).toEqual({ live: 0, dead: 1_500 });
    });

    it('refuses a batch size that is not a positive integer', async () => {
      await expect(store().purgeExpired(AT, { batchSize: 0 })).rejects.toThrow(RangeError);
      await expect(store().purgeExpired(AT, { batchSize: 2.5 })).rejects.toThrow(/batch size/);
    });

    it('two stores purging at once both finish, and every expired row is deleted once', async () => {
      const s = store();
      const other = await backend.open();
      try {
        const client = aClient();
        await s.clients.create(client);
        await s.purgeExpired(AT);
        await insertTokens(s.kysely, client.clientId, 3_000, AT);
        const reports = await Promise.all([s.purgeExpired(AT, { batchSize: 100 }), other.purgeExpired(AT, { batchSize: 100 })]);
        expect(reports[0].deleted.tokens + reports[1].deleted.tokens).toBe(3_000);
        expect(await countTokens(s.kysely, client.clientId)).toEqual({ live: 0, dead: 0 });
        // PostgreSQL: one instance holds the lock and does all the work; the other skipped, or came after it.
        if (s.dialect === 'postgres') expect(reports.filter((r) => r.deleted.tokens > 0)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('PostgreSQL: skips while another instance holds the purge lock, and purges once its holder is gone', async () => {
      const s = store();
      if (s.dialect !== 'postgres') return;
      const holder = await backend.open();
      const observer = await backend.open();
      try {
        const client = aClient();
        await s.clients.create(client);
        await s.purgeExpired(AT);
        await insertTokens(s.kysely, client.clientId, 20, AT);

        const lock = await holdPurgeLock(holder);
        expect(await s.purgeExpired(AT)).toMatchObject({ ran: false, deleted: { tokens: 0 } });
        expect(await countTokens(s.kysely, client.clientId)).toEqual({ live: 0, dead: 20 });
        lock.release();
        await lock.done;
        expect(await s.purgeExpired(AT)).toMatchObject({ ran: true, deleted: { tokens: 20 } });

        // A holder that dies (its session ended by the server) releases the lock with it.
        await insertTokens(s.kysely, client.clientId, 5, AT);
        const dying = await holdPurgeLock(holder);
        expect((await s.purgeExpired(AT)).ran).toBe(false);
        await sql`select pg_terminate_backend(${dying.pid})`.execute(observer.kysely);
        dying.release();
        await dying.done.catch(() => undefined);
        await expect.poll(async () => (await s.purgeExpired(AT)).deleted.tokens).toBe(5);
      } finally {
        await holder.close();
        await observer.close();
      }
    });

    it('PostgreSQL: leaves the lock free after a run, and after a run that failed', async () => {
      const s = store();
      if (s.dialect !== 'postgres') return;
      await s.purgeExpired(AT);
      await expect(s.purgeExpired(AT, { eventsBefore: Number.NaN })).rejects.toThrow();
      // Asked from another instance: a session that held the lock would take it again itself.
      const other = await backend.open();
      try {
        expect(await purgeLockFree(other)).toBe(true);
      } finally {
        await other.close();
      }
    });
  });
}
