/** The readiness check against a real SQLite store: each reason, and draining first of all. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { readinessCheck } from './readiness.js';

describe('readinessCheck', () => {
  let dir: string;
  let store: OpenedStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latch-ready-'));
    store = await openMigratedStore({ dataDir: dir });
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const check = (algorithms: string[], draining = false) =>
    readinessCheck({ kysely: store.kysely, dialect: 'sqlite', keys: { algorithms: algorithms as never }, timeoutMs: 500, draining: () => draining })();

  it('is ready with the store answering, every migration applied and a signing key', async () => {
    expect(await check(['RS256'])).toEqual({ status: 'ready' });
  });

  it('is unavailable without an active signing key', async () => {
    expect(await check([])).toEqual({ status: 'unavailable', reason: 'keys: no active signing key loaded' });
  });

  it('says draining during a shutdown, before asking the store', async () => {
    expect(await check(['RS256'], true)).toEqual({ status: 'draining' });
  });

  it('is unavailable, naming the store, once the store is closed', async () => {
    await store.close();
    expect(await check(['RS256'])).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^store: /) });
  });
});
