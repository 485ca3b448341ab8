import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import { Redis } from 'ioredis';
import { loadConfig } from '../../config/load.js';
import { openStore } from '../open.js';
import { StoreUnavailableError } from '../unavailable.js';
import { openRedis, requireRedis7 } from './connection.js';
import { redisInteractionsRepository } from './interactions.js';
import { redisRateLimitsRepository } from './rate-limits.js';
import { freePort, redisProcess, type RedisProcess } from './test-helpers.js';
import { redisReplayRepository } from './replay.js';
import { anInteraction, NOW, uniqueId } from '../contract/fixtures.js';

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return { error, ms: Date.now() - started };
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('redisUrl', () => {
  it('fails at start naming the key when it is not a redis:// or rediss:// URL', async () => {
    for (const url of ['http://127.0.0.1:6379', 'redis//x', 'redis://', 'mysql://x']) {
      expect(() => loadConfig({ LATCH_REDIS_URL: url }), url).toThrowError(/LATCH_REDIS_URL \(config key "redisUrl"\): must be a redis:\/\/ or rediss:\/\/ URL/);
    }
    expect(loadConfig({ LATCH_REDIS_URL: 'rediss://user:pw@cache.internal:6380/2' }).redisUrl).toBe('rediss://user:pw@cache.internal:6380/2');
    await expect(openStore({ dataDir: os.tmpdir(), databaseUrl: 'postgres://127.0.0.1:5432/test', redisUrl: 'http://x' })).rejects.toThrow(/redisUrl/);
  });
});

describe('Redis version', () => {
  it('refuses a Redis older than 7.0 (the scripts need PEXPIRETIME), naming the key', () => {
    expect(() => requireRedis7('# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n')).toThrowError(/^redisUrl: Redis 7\.0 or later is needed, the server is 6\.2$/);
    expect(() => requireRedis7('# Server\r\nredis_version:7.0.15\r\n')).not.toThrow();
  });
});

describe('Redis faults', () => {
  it('fails fast as unavailable (503) when nothing listens, without hanging or crashing', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const redis = await openRedis(url, { keyPrefix: 'latch-test:closed:', connectTimeoutMs: 500 });
    try {
      expect(Date.now() - started).toBeLessThan(1500);
      for (const call of [
        () => redisRateLimitsRepository(redis).hit('ip', 60, NOW),
        () => redisReplayRepository(redis).remember('jti', NOW + 60, NOW),
        () => redisInteractionsRepository(redis).find('id', NOW),
        () => redisInteractionsRepository(redis).rebindBrowser('old', 'new', NOW),
        () => redisRateLimitsRepository(redis).counts(['ip', 'account'], 60, NOW),
      ]) {
        const { error, ms } = await failure(call());
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).message).toMatch(/^Redis is unreachable/);
        expect(ms).toBeLessThan(500);
      }
    } finally {
      await redis.close();
    }
  });

  it('keeps a Redis error that is a bug (a wrong type) a bug, not an outage', async () => {
    const prefix = `latch-test:${uniqueId('bug')}:`;
    const raw = new Redis('redis://127.0.0.1:6379');
    const redis = await openRedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
    try {
      await raw.set(`${prefix}rate:ip`, 'not a hash');
      const { error } = await failure(redisRateLimitsRepository(redis).hit('ip', 60, NOW));
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/WRONGTYPE/);
    } finally {
      await raw.del(`${prefix}rate:ip`);
      raw.disconnect();
      await redis.close();
    }
  });

  describe('a redis-server of its own, stopped and started again', () => {
    let server: RedisProcess;
    beforeAll(async () => {
      server = await redisProcess();
      await server.start();
    });
    afterAll(() => server.stop());

    it('answers unavailable while it is down and recovers by itself when it is back (scripts reloaded)', async () => {
      const errors: Error[] = [];
      const redis = await openRedis(server.url, { keyPrefix: 'latch-test:', onError: (e) => errors.push(e) });
      const limits = redisRateLimitsRepository(redis);
      const interactions = redisInteractionsRepository(redis);
      try {
        expect(await limits.hit('ip', 60, NOW)).toBe(1);
        await server.stop();
        const { error, ms } = await failure(limits.hit('ip', 60, NOW));
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(ms).toBeLessThan(500);
        await eventually(async () => expect(errors).toHaveLength(1), 1000);
        await new Promise((resolve) => setTimeout(resolve, 500)); // reconnection attempts, refused
        expect(errors).toHaveLength(1);

        await server.start();
        // A fresh server: its script cache is empty, and ioredis loads the scripts again.
        expect(await eventually(() => limits.hit('ip', 60, NOW))).toBe(1);
        const interaction = anInteraction('client');
        await interactions.create(interaction);
        expect(await interactions.find(interaction.idDigest, NOW)).toEqual(interaction);
      } finally {
        await redis.close();
      }
    });

    it('fails a command as unavailable after the command timeout when Redis answers nothing', async () => {
      const redis = await openRedis(server.url, { keyPrefix: 'latch-test:', commandTimeoutMs: 300 });
      try {
        expect(await redisReplayRepository(redis).remember('jti-hung', NOW + 60, NOW)).toBe(true);
        server.pause();
        const { error, ms } = await failure(redisReplayRepository(redis).remember('jti-hung-2', NOW + 60, NOW));
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/timed out/i);
        expect(ms).toBeLessThan(1500);
      } finally {
        server.resume();
        await redis.close();
      }
      const again = await openRedis(server.url, { keyPrefix: 'latch-test:' });
      try {
        expect(await redisReplayRepository(again).remember('jti-hung', NOW + 60, NOW + 1)).toBe(false);
      } finally {
        await again.close();
      }
    });
  });
});
