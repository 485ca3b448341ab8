import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aClient, uniqueId } from '../storage/contract/fixtures.js';
import { insertTokens } from '../storage/contract/purge.contract.js';
import { openMigratedStore, openStore, type OpenedStore, type StoreOptions } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const now = () => Math.floor(Date.now() / 1000);

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-purge-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Writes expired and live tokens, and an event of three days ago, through a store of its own. */
async function seed(options: StoreOptions, counts: { expired: number; live: number }): Promise<void> {
  const store = await openMigratedStore(options);
  try {
    const client = aClient();
    await store.clients.create(client);
    await insertTokens(store.kysely, client.clientId, counts.expired, now() - 60);
    await insertTokens(store.kysely, client.clientId, counts.live, now() + 3600);
    await store.events.record({
      id: uniqueId('event'),
      type: 'login.succeeded',
      at: now() - 3 * 86_400,
      actorSub: null,
      actorClientId: null,
      sub: null,
      clientId: null,
      address: null,
      data: {},
    });
  } finally {
    await store.close();
  }
}

async function tokensLeft(store: OpenedStore): Promise<number> {
  return Number((await store.kysely.selectFrom('tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

describe('latch purge', () => {
  it('deletes the expired rows and the events older than the retention now, and prints the counts per table', async () => {
    await seed({ dataDir }, { expired: 2_500, live: 4 });
    const env = { LATCH_DATA_DIR: dataDir, LATCH_EVENT_RETENTION_DAYS: '2' };
    const json = await runLatch(['purge', '--json', '--batch-size', '1000'], { env });
    expectCode(json, 0);
    expect(json.json()).toEqual({
      ran: true,
      deleted: expect.objectContaining({ tokens: 2_500, events: 1, sessions: 0 }),
      total: 2_501,
      ms: expect.any(Number),
    });

    const text = await runLatch(['purge'], { env });
    expectCode(text, 0);
    expect(text.stdout).toMatch(/^Nothing to purge/);

    await seed({ dataDir }, { expired: 3, live: 0 });
    const again = await runLatch(['purge'], { env });
    expectCode(again, 0);
    expect(again.stdout).toMatch(/^Purged 4 row\(s\) in \d+\.\d s/);
    expect(again.stdout).toMatch(/TABLE\s+DELETED\n(tokens\s+3\nevents\s+1|events\s+1\ntokens\s+3)/);
    const store = await openMigratedStore({ dataDir });
    try {
      expect(await tokensLeft(store)).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('refuses a batch size that is not a whole number from 1 to 100000 (exit 2)', async () => {
    for (const value of ['0', 'many', '1.5', '100001']) {
      const result = await runLatch(['purge', '--batch-size', value], { env: { LATCH_DATA_DIR: dataDir } });
      expectCode(result, 2);
      expect(result.stderr).toMatch(/--batch-size/);
    }
    expectCode(await runLatch(['purge', 'now'], { env: { LATCH_DATA_DIR: dataDir } }), 2);
    expect((await runLatch(['purge', '--help'], { env: { LATCH_DATA_DIR: dataDir } })).stdout).toMatch(/Usage: latch purge/);
  });

  it('PostgreSQL: purges, and does nothing (exit 0, ran: false) while another instance holds the purge lock', async () => {
    const schema = `latch_cli_purge_${randomBytes(6).toString('hex')}`;
    await seed({ dataDir, databaseUrl, schema }, { expired: 30, live: 2 });
    const url = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const env = { LATCH_DATA_DIR: dataDir, LATCH_DATABASE_URL: url, LATCH_EVENT_RETENTION_DAYS: '2' };
    const holder = await openStore({ dataDir, databaseUrl, schema });
    try {
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked = (): void => undefined;
      const taken = new Promise<void>((resolve) => (locked = resolve));
      const held = holder.kysely.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(hashtextextended('latch:purge:' || current_schema(), 0))`.execute(connection);
        locked();
        await released;
        await sql`select pg_advisory_unlock(hashtextextended('latch:purge:' || current_schema(), 0))`.execute(connection);
      });
      await taken;
      const skipped = await runLatch(['purge', '--json'], { env });
      expectCode(skipped, 0);
      expect(skipped.json()).toMatchObject({ ran: false, total: 0 });
      expect((await runLatch(['purge'], { env })).stdout).toMatch(/Another instance is purging right now/);
      expect(await tokensLeft(holder)).toBe(32);
      release();
      await held;

      const purged = await runLatch(['purge', '--json'], { env });
      expectCode(purged, 0);
      expect(purged.json()).toMatchObject({ ran: true, deleted: { tokens: 30, events: 1 } });
      expect(await tokensLeft(holder)).toBe(2);
    } finally {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(holder.kysely);
      await holder.close();
    }
  });
});
