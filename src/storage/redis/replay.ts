/**
 * Replay caches in Redis: one string per value (its expiry), taken with a script so that exactly one of concurrent
 * callers remembers a value, and expiry is decided against the `now` given (the TTL only collects garbage).
 */
import type { ReplayRepository } from '../types.js';
import { collectAfter, type RedisConnection } from './connection.js';

/** KEYS: value, expiry index. ARGV: expiresAt, now, collect-after (ms). 1 when remembered now, 0 for a replay. */
const REMEMBER = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1])
return 1
`;

/** KEYS: expiry index. ARGV: now, batch size. Deletes values expired at `now`; returns how many index entries it read. */
const PURGE = `
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, key in ipairs(keys) do
  local current = redis.call('GET', key)
  if current and tonumber(current) <= tonumber(ARGV[1]) then redis.call('DEL', key) end
  redis.call('ZREM', KEYS[1], key)
end
return #keys
`;

type Scripted = {
  latchReplayRemember(value: string, index: string, expiresAt: number, now: number, collectAt: number): Promise<number>;
  latchReplayPurge(index: string, now: number, batch: number): Promise<number>;
};

export function replayKeys(prefix: string) {
  return { value: (key: string) => `${prefix}replay:${key}`, index: `${prefix}replay-expiry` };
}

export function redisReplayRepository(redis: RedisConnection): ReplayRepository & { purge(now: number): Promise<number> } {
  redis.client.defineCommand('latchReplayRemember', { numberOfKeys: 2, lua: REMEMBER });
  redis.client.defineCommand('latchReplayPurge', { numberOfKeys: 1, lua: PURGE });
  const client = redis.client as unknown as Scripted;
  const keys = replayKeys(redis.prefix);
  return {
    async remember(key, expiresAt, now) {
      const remembered = await redis.run(() => client.latchReplayRemember(keys.value(key), keys.index, expiresAt, now, collectAfter(expiresAt)));
      return remembered === 1;
    },
    async purge(now) {
      let deleted = 0;
      for (let batch = PURGE_BATCH; batch === PURGE_BATCH; deleted += batch) {
        batch = Number(await redis.run(() => client.latchReplayPurge(keys.index, now, PURGE_BATCH)));
      }
      return deleted;
    },
  };
}

/** Index entries one purge script reads, so that no script holds Redis for long. */
export const PURGE_BATCH = 500;
