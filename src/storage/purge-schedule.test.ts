import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.js';
import { aClient, NOW } from './contract/fixtures.js';
import { insertTokens } from './contract/purge.contract.js';
import { openMigratedStore, type OpenedStore } from './open.js';
import { startPurgeSchedule, type PurgeLog } from './purge-schedule.js';
import { SQLITE_FILE_NAME } from './sqlite/connection.js';
import { StoreUnavailableError } from './unavailable.js';

/** What the schedule logged, by level. */
function recordingLog(): PurgeLog & { lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> } {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { lines, info: at('info'), debug: at('debug'), error: at('error') };
}

const countTokens = async (store: OpenedStore) => Number((await store.kysely.selectFrom('tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('the purge schedule', () => {
  let dir = '';
  let store: OpenedStore;
  let clientId = '';
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-purge-schedule-'));
    store = await openMigratedStore({ dataDir: dir, sqliteLockWaitMs: 50 });
    const client = aClient();
    await store.clients.create(client);
    clientId = client.clientId;
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('purges every interval, logging the rows deleted per table at info only when there were some', async () => {
    await insertTokens(store.kysely, clientId, 1500, NOW - 1);
    await insertTokens(store.kysely, clientId, 3, NOW + 3600);
    const log = recordingLog();
    const schedule = startPurgeSchedule(store, { intervalSeconds: 0.05, eventRetentionDays: 90, now: () => NOW, log });
    try {
      await expect.poll(() => log.lines.length, { timeout: 2000 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // more runs, with nothing left to delete
    } finally {
      await schedule.stop();
    }
    expect(log.lines).toEqual([{ level: 'info', fields: { event: 'storage.purged', deleted: { tokens: 1500 }, ms: expect.any(Number) }, message: 'purged expired rows' }]);
    expect(await countTokens(store)).toBe(3);
  });

  it('logs a failed run (the write lock held elsewhere) without ending the process, and purges at the next interval', async () => {
    await insertTokens(store.kysely, clientId, 10, NOW - 1);
    const other = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME), { timeout: 0 });
    other.exec('begin immediate');
    // Counted through the other connection: a read of the store's own could join a batch of the purge's writes, and fail with it.
    const tokensLeft = () => (other.prepare('select count(*) as n from tokens').get() as { n: number }).n;
    const log = recordingLog();
    const schedule = startPurgeSchedule(store, { intervalSeconds: 0.1, eventRetentionDays: 90, now: () => NOW, log });
    try {
      await expect.poll(() => log.lines.filter((l) => l.level === 'error').length, { timeout: 2000 }).toBeGreaterThan(0);
      const failure = log.lines.find((l) => l.level === 'error');
      expect(failure?.fields).toMatchObject({ event: 'storage.purge_failed', err: expect.any(StoreUnavailableError) });
      expect(failure?.message).toMatch(/trying again at the next interval/);
      expect(tokensLeft()).toBe(10);
      other.exec('rollback');
      await expect.poll(() => log.lines.some((l) => l.level === 'info'), { timeout: 2000 }).toBe(true);
      expect(log.lines.find((l) => l.level === 'info')?.fields).toMatchObject({ deleted: { tokens: 10 } });
      expect(tokensLeft()).toBe(0);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
      await schedule.stop();
    }
  });

  it('stopping ends a run under way after its current batch', async () => {
    await insertTokens(store.kysely, clientId, 20_000, NOW - 1);
    const log = recordingLog();
    const schedule = startPurgeSchedule(store, { intervalSeconds: 0.01, eventRetentionDays: 90, now: () => NOW, log });
    // Stopped as soon as the first batch is committed (20 are needed to delete them all).
    await expect.poll(async () => (await countTokens(store)) < 20_000, { interval: 1, timeout: 2000 }).toBe(true);
    await schedule.stop();
    const left = await countTokens(store);
    expect(left).toBeGreaterThan(0);
    expect(left % 1000).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await countTokens(store)).toBe(left);
  });

  it('0 turns it off', async () => {
    await insertTokens(store.kysely, clientId, 5, NOW - 1);
    const log = recordingLog();
    const schedule = startPurgeSchedule(store, { intervalSeconds: 0, eventRetentionDays: 90, now: () => NOW, log });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await schedule.stop();
    expect(await countTokens(store)).toBe(5);
    expect(log.lines).toEqual([]);
  });
});

describe('LATCH_PURGE_INTERVAL', () => {
  it('is 600 seconds by default; 0 turns the periodic purge off', () => {
    expect(loadConfig({}).purgeInterval).toBe(600);
    expect(loadConfig({ LATCH_PURGE_INTERVAL: '0' }).purgeInterval).toBe(0);
    expect(loadConfig({ LATCH_PURGE_INTERVAL: '60' }).purgeInterval).toBe(60);
  });

  it.each(['-1', 'soon', '1.5', '3000000'])('refuses %s, naming the setting', (value) => {
    expect(() => loadConfig({ LATCH_PURGE_INTERVAL: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ LATCH_PURGE_INTERVAL: value })).toThrowError(/LATCH_PURGE_INTERVAL/);
  });
});
