/**
 * Rate limits in Redis: one hash per key, a field per window (`<seconds>:<start>` -> hits), so that a hit is one
 * atomic HINCRBY returning the count so far and a reset forgets every window of the key at once.
 */
import type { RateLimitsRepository, WindowCounts } from '../types.js';
import { collectAfter, type RedisConnection } from './connection.js';
import { PURGE_BATCH } from './replay.js';

/**
 * Deletes the fields of KEYS[1] whose window is no longer read at ARGV[1] (a window is kept until the window after
 * it ends), then the hash when none is left; returns the latest end among the fields kept (0 when none).
 */
const PRUNE = `
local function prune(key, now)
  local fields = redis.call('HKEYS', key)
  local latest = 0
  for _, field in ipairs(fields) do
    local size, start = string.match(field, '^(%d+):(%-?%d+)$')
    local ends = tonumber(start) + 2 * tonumber(size)
    if ends <= now then redis.call('HDEL', key, field) elseif ends > latest then latest = ends end
  end
  return latest
end
`;

/** KEYS: hash, expiry index. ARGV: field, window end (start + 2 * size), now, collect-after (ms). Returns the hits. */
const HIT = `${PRUNE}
local hits = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('HLEN', KEYS[1]) > 8 then prune(KEYS[1], tonumber(ARGV[3])) end
local collectAt = tonumber(ARGV[4])
if redis.call('PEXPIRETIME', KEYS[1]) < collectAt then redis.call('PEXPIREAT', KEYS[1], collectAt) end
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], KEYS[1])
return hits
`;

/** KEYS: expiry index. ARGV: now, batch size. Prunes the hashes with a window ended at `now`; returns how many it read. */
const PURGE = `${PRUNE}
local now = tonumber(ARGV[1])
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, key in ipairs(keys) do
  local latest = prune(key, now)
  if latest == 0 then redis.call('ZREM', KEYS[1], key) else redis.call('ZADD', KEYS[1], latest, key) end
end
return #keys
`;

type Scripted = {
  latchRateHit(hash: string, index: string, field: string, ends: number, now: number, collectAt: number): Promise<number>;
  latchRatePurge(index: string, now: number, batch: number): Promise<number>;
};

function windowStartOf(windowSeconds: number, now: number): number {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
  }
  return Math.floor(now / windowSeconds) * windowSeconds;
}

export function rateLimitKeys(prefix: string) {
  return { hash: (key: string) => `${prefix}rate:${key}`, index: `${prefix}rate-expiry` };
}

export function redisRateLimitsRepository(redis: RedisConnection): RateLimitsRepository & { purge(now: number): Promise<number> } {
  redis.client.defineCommand('latchRateHit', { numberOfKeys: 2, lua: HIT });
  redis.client.defineCommand('latchRatePurge', { numberOfKeys: 1, lua: PURGE });
  const client = redis.client as unknown as Scripted;
  const keys = rateLimitKeys(redis.prefix);
  return {
    async hit(key, windowSeconds, now) {
      const start = windowStartOf(windowSeconds, now);
      // Kept until the next window ends: a sliding estimate still reads it then (`counts`).
      const ends = start + 2 * windowSeconds;
      return redis.run(() => client.latchRateHit(keys.hash(key), keys.index, `${windowSeconds}:${start}`, ends, now, collectAfter(ends)));
    },

    async counts(names, windowSeconds, now) {
      const start = windowStartOf(windowSeconds, now);
      const result = new Map<string, WindowCounts>();
      if (names.length === 0) return result;
      const fields = [`${windowSeconds}:${start}`, `${windowSeconds}:${start - windowSeconds}`];
      const replies = await redis.run(async () => {
        const pipeline = redis.client.pipeline();
        for (const name of names) pipeline.hmget(keys.hash(name), ...fields);
        const answers = (await pipeline.exec()) ?? [];
        return answers.map(([error, value]) => {
          if (error) throw error;
          return value as (string | null)[];
        });
      });
      names.forEach((name, i) => {
        const [current, previous] = replies[i] ?? [];
        result.set(name, { current: Number(current ?? 0), previous: Number(previous ?? 0) });
      });
      return result;
    },

    async reset(key) {
      await redis.run(() => redis.client.del(keys.hash(key)));
    },

    async purge(now) {
      let deleted = 0;
      for (let batch = PURGE_BATCH; batch === PURGE_BATCH; deleted += batch) {
        batch = Number(await redis.run(() => client.latchRatePurge(keys.index, now, PURGE_BATCH)));
      }
      return deleted;
    },
  };
}
