/**
 * The storage contract over PostgreSQL with Redis (127.0.0.1:6379, LATCH_TEST_REDIS_URL) serving rate limits,
 * replay caches and interactions; every key under a prefix of this run, deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { openMigratedStore, openStore } from '../open.js';
import { interactionKeys } from '../redis/interactions.js';
import { rateLimitKeys } from '../redis/rate-limits.js';
import { replayKeys } from '../redis/replay.js';
import { storeContract } from './contract.js';
import { aClient, anInteraction, NOW, uniqueId } from './fixtures.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const redisUrl = process.env.LATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `latch_test_${randomBytes(8).toString('hex')}`;
const prefix = `latch-test:${randomBytes(8).toString('hex')}:`;
const redis = new Redis(redisUrl, { lazyConnect: true });

async function dropSchema(name: string): Promise<void> {
  const admin = await openStore({ dataDir: os.tmpdir(), databaseUrl });
  try {
    await sql.raw(`drop schema if exists "${name}" cascade`).execute(admin.kysely);
  } finally {
    await admin.close();
  }
}

async function deleteKeys(under: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${under}*`, count: 500 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.del(...keys);
  }
}

storeContract('postgres + redis', {
  open: () => openStore({ dataDir: os.tmpdir(), databaseUrl, schema, redisUrl, redisKeyPrefix: prefix }),
  destroy: async () => {
    await dropSchema(schema);
    await deleteKeys(prefix);
  },
  async countEphemeral(kind, key) {
    if (kind === 'replay') return redis.exists(replayKeys(prefix).value(key));
    return redis.hlen(rateLimitKeys(prefix).hash(key));
  },
});

describe('redis specifics', () => {
  const own = `latch-test:${randomBytes(8).toString('hex')}:`;
  const ownSchema = `latch_test_${randomBytes(8).toString('hex')}`;
  afterAll(async () => {
    await deleteKeys(own);
    await dropSchema(ownSchema);
    redis.disconnect();
  });

  it('keeps the short-lived state in Redis under its prefix, nothing of it in SQL, with a TTL for garbage only', async () => {
    const store = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema: ownSchema, redisUrl, redisKeyPrefix: own });
    try {
      const client = aClient();
      await store.clients.create(client);
      const interaction = anInteraction(client.clientId);
      await store.interactions.create(interaction);
      // Long expired by the real clock, live by the `now` given: Redis keeps it (for a minute at least).
      const old = anInteraction(client.clientId, { createdAt: 1_000, expiresAt: 2_000 });
      await store.interactions.create(old);
      expect(await store.interactions.find(old.idDigest, 1_500)).toEqual(old);
      await store.replay.remember('jti-1', NOW + 60, NOW);
      expect(await store.rateLimits.hit('ip-1', 60, NOW)).toBe(1);

      const keys = interactionKeys(own);
      expect(await redis.exists(keys.hash(interaction.idDigest), replayKeys(own).value('jti-1'), rateLimitKeys(own).hash('ip-1'))).toBe(3);
      expect(await redis.pexpiretime(keys.hash(interaction.idDigest))).toBe(interaction.expiresAt * 1000 + 5_000);
      expect(await redis.pttl(keys.hash(old.idDigest))).toBeGreaterThan(55_000);
      expect(await redis.zscore(keys.browser(interaction.browserDigest), interaction.idDigest)).toBe(String(interaction.expiresAt));
      for (const table of ['interactions', 'replay', 'rate_limits'] as const) {
        const rows = await store.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        expect(Number(rows.n), table).toBe(0);
      }
    } finally {
      await store.close();
    }
  });

  it('shares rate limits, replay and interactions between two stores over the same prefix (two instances)', async () => {
    const dataDir = os.tmpdir();
    const [a, b] = [
      await openStore({ dataDir, databaseUrl, schema: ownSchema, redisUrl, redisKeyPrefix: own }),
      await openStore({ dataDir, databaseUrl, schema: ownSchema, redisUrl, redisKeyPrefix: own }),
    ];
    const elsewhere = await openStore({ dataDir, databaseUrl, schema: ownSchema, redisUrl, redisKeyPrefix: `${own}other:` });
    try {
      const key = uniqueId('ip');
      await a.rateLimits.hit(key, 60, NOW);
      expect(await b.rateLimits.hit(key, 60, NOW)).toBe(2);
      expect((await a.rateLimits.counts([key], 60, NOW)).get(key)).toEqual({ current: 2, previous: 0 });
      expect(await elsewhere.rateLimits.hit(key, 60, NOW)).toBe(1);
      const jti = uniqueId('jti');
      expect(await a.replay.remember(jti, NOW + 60, NOW)).toBe(true);
      expect(await b.replay.remember(jti, NOW + 60, NOW)).toBe(false);
      expect(await elsewhere.replay.remember(jti, NOW + 60, NOW)).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close(), elsewhere.close()]);
    }
  });

  it('on SQLite too: the rate limits are Redis\'s (shared), not the per-process cache', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-redis-'));
    const [a, b] = [
      await openMigratedStore({ dataDir: path.join(dir, 'a'), redisUrl, redisKeyPrefix: own }),
      await openMigratedStore({ dataDir: path.join(dir, 'b'), redisUrl, redisKeyPrefix: own }),
    ];
    try {
      const key = uniqueId('ip');
      expect((await b.rateLimits.counts([key], 60, NOW)).get(key)).toEqual({ current: 0, previous: 0 });
      await a.rateLimits.hit(key, 60, NOW);
      expect((await b.rateLimits.counts([key], 60, NOW)).get(key)).toEqual({ current: 1, previous: 0 });
      expect(await b.rateLimits.hit(key, 60, NOW)).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prunes old windows of a key hit for a long time, keeping those still read', async () => {
    const store = await openStore({ dataDir: os.tmpdir(), databaseUrl, schema: ownSchema, redisUrl, redisKeyPrefix: own });
    try {
      const key = uniqueId('ip');
      const start = 1_900_000_020;
      for (let w = 0; w < 20; w++) await store.rateLimits.hit(key, 60, start + w * 60);
      expect(await redis.hlen(rateLimitKeys(own).hash(key))).toBeLessThanOrEqual(9);
      expect((await store.rateLimits.counts([key], 60, start + 19 * 60)).get(key)).toEqual({ current: 1, previous: 1 });
    } finally {
      await store.close();
    }
  });

  it('derives the prefix from the PostgreSQL schema by default', async () => {
    const { defaultKeyPrefix } = await import('../redis/store.js');
    expect(defaultKeyPrefix(undefined)).toBe('latch:');
    expect(defaultKeyPrefix('tenant_a')).toBe('latch:tenant_a:');
  });
});
