import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../open.js';
import { changeListenerApplicationName } from './changes.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

const window = 900;
const now = 1_800_000_100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until it gives what `ok` wants; fails after `ms` (the promise: every instance within a second). */
async function within<T>(ms: number, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > ms) throw new Error(`not seen within ${ms} ms: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

describe('client authentication failure counts kept in memory on PostgreSQL, two stores (instances) on one schema', () => {
  const schema = `latch_perf_rl_${randomBytes(6).toString('hex')}`;
  let a: OpenedStore;
  let b: OpenedStore;
  let reads = 0;
  const key = (name: string) => `client_secret:pair:=${name}-${randomBytes(4).toString('hex')}:127.0.0.1`;
  const current = async (store: OpenedStore, k: string) => (await store.rateLimits.counts([k], window, now)).get(k)?.current;
  const listening = () =>
    sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${changeListenerApplicationName(schema)}`.execute(b.kysely);

  beforeAll(async () => {
    a = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    b = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    a.probe.attach({ query: (q) => void (q.table === 'rate_limits' && q.kind === 'select' && (reads += 1)) });
    // Both listen (a read starts the listener); then the first notices (every topic, at LISTEN) have passed.
    await a.rateLimits.counts([key('warm')], window, now);
    await b.rateLimits.counts([key('warm')], window, now);
    await within(2000, async () => (await listening()).rows.length, (n) => n >= 2);
    await sleep(200);
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists "${schema}" cascade`).execute(b.kysely);
    await a.close();
    await b.close();
  });

  it('reads the counts of a client once: the next authentications read nothing from the database', async () => {
    const k = key('once');
    const before = reads;
    expect(await current(a, k)).toBe(0);
    expect(await current(a, k)).toBe(0);
    expect(await current(a, k)).toBe(0);
    expect(reads - before).toBe(1);
  });

  it("sees another instance's failure within a second (the trigger's NOTIFY), and its reset", async () => {
    const k = key('shared');
    expect(await current(a, k)).toBe(0);
    expect(await b.rateLimits.hit(k, window, now)).toBe(1);
    await within(1000, () => current(a, k), (n) => n === 1);
    await b.rateLimits.hit(k, window, now);
    await within(1000, () => current(a, k), (n) => n === 2);
    await b.rateLimits.reset(k);
    await within(1000, () => current(a, k), (n) => n === 0);
  });

  it('sees a failure counted by plain SQL, whoever wrote it', async () => {
    const k = key('sql');
    expect(await current(a, k)).toBe(0);
    await sql`insert into rate_limits (key, window_seconds, window_start, hits, expires_at) values (${k}, ${window}, ${now - (now % window)}, 7, ${now + 2 * window})`.execute(b.kysely);
    await within(1000, () => current(a, k), (n) => n === 7);
  });

  it("sees its own failure at once, before any notice", async () => {
    const k = key('own');
    expect(await current(a, k)).toBe(0);
    await a.rateLimits.hit(k, window, now);
    expect(await current(a, k)).toBe(1);
  });

  it('keeps nothing of other secrets (passwords, user codes): their counts are read every time', async () => {
    const k = `password:pair:#${randomBytes(8).toString('hex')}:127.0.0.1`;
    expect(await current(a, k)).toBe(0);
    // No notice can arrive before this read: it must come from the database.
    const unannounced = b.kysely.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into rate_limits (key, window_seconds, window_start, hits, expires_at) values (${k}, ${window}, ${now - (now % window)}, 3, ${now + 2 * window})`.execute(trx);
    });
    await unannounced;
    expect(await current(a, k)).toBe(3);
  });

  it('a change no notice tells of stays unseen while kept: the cache really is a cache (this is what the trigger prevents)', async () => {
    const k = key('unannounced');
    expect(await current(a, k)).toBe(0);
    await b.kysely.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into rate_limits (key, window_seconds, window_start, hits, expires_at) values (${k}, ${window}, ${now - (now % window)}, 4, ${now + 2 * window})`.execute(trx);
    });
    await sleep(200);
    expect(await current(a, k)).toBe(0);
    // No count is kept longer than a second (by the time given), notice or not.
    expect((await a.rateLimits.counts([k], window, now + 1)).get(k)?.current).toBe(4);
  });

  it('reads through while the listening connection is lost, and keeps counts again once it is back', async () => {
    const k = key('outage');
    expect(await current(a, k)).toBe(0);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${changeListenerApplicationName(schema)}`.execute(b.kysely);
    await b.kysely.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into rate_limits (key, window_seconds, window_start, hits, expires_at) values (${k}, ${window}, ${now - (now % window)}, 5, ${now + 2 * window})`.execute(trx);
    });
    // Seen at once if the listener is still down, and in any case after it reconnects (every cache dropped).
    await within(3000, () => current(a, k), (n) => n === 5);
    await within(3000, async () => (await listening()).rows.length, (n) => n >= 2);
    await sleep(200);
    const before = reads;
    expect(await current(a, k)).toBe(5);
    expect(await current(a, k)).toBe(5);
    expect(reads - before).toBeLessThanOrEqual(1);
  });
});
