/**
 * A store whose short-lived state lives in Redis: rate limits, replay caches and interactions; the rest stays in
 * SQL. Device codes stay in SQL: their polling state (interval, last poll) comes back in the same row as the status
 * from `find`, and `recordPoll` records a poll only while the code is pending (an SQL status that `approve`/`consume`
 * change in transactions); in Redis each poll would read two stores with nothing atomic between status and poll.
 */
import type { OpenedStore, StoreOptions } from '../open.js';
import { openRedis, type RedisConnection, type RedisOptions } from './connection.js';
import { redisInteractionsRepository } from './interactions.js';
import { redisRateLimitsRepository } from './rate-limits.js';
import { redisReplayRepository } from './replay.js';

export type { RedisOptions } from './connection.js';

/** The default key prefix: `latch:`, or `latch:<schema>:` for a PostgreSQL schema, so that deployments do not meet. */
export function defaultKeyPrefix(schema: string | undefined): string {
  return schema === undefined || schema === '' ? 'latch:' : `latch:${schema}:`;
}

/** The Redis options the store options imply (prefix, connect timeout, connection errors). */
export function redisOptionsOf(options: StoreOptions): RedisOptions {
  return {
    keyPrefix: options.redisKeyPrefix ?? defaultKeyPrefix(options.schema),
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.onConnectionError !== undefined && { onError: options.onConnectionError }),
  };
}

/** Replaces the repositories of `store` that Redis serves; closing the store closes the Redis connection too. */
export async function withRedis(store: OpenedStore, url: string, options: RedisOptions = {}): Promise<OpenedStore> {
  let redis: RedisConnection;
  try {
    redis = await openRedis(url, options);
  } catch (error) {
    await store.close();
    throw error;
  }
  return overRedis(store, redis);
}

export function overRedis(store: OpenedStore, redis: RedisConnection): OpenedStore {
  const interactions = redisInteractionsRepository(redis);
  const replay = redisReplayRepository(redis);
  const rateLimits = redisRateLimitsRepository(redis);
  let closing: Promise<void> | undefined;
  return {
    ...store,
    interactions,
    replay,
    rateLimits,
    // In SQL, interactions go with their client or person (foreign keys); here the delete says so. Redis first: if
    // it is down, the delete fails as unavailable before anything changed in SQL, and a retry does all of it.
    clients: {
      ...store.clients,
      delete: async (clientId) => {
        await interactions.deleteByClient(clientId);
        return store.clients.delete(clientId);
      },
    },
    users: {
      ...store.users,
      delete: async (sub) => {
        await interactions.deleteBySub(sub);
        return store.users.delete(sub);
      },
    },
    async purgeExpired(now, options) {
      const report = await store.purgeExpired(now, options);
      // Redis's TTLs drop these by the real clock; the purge drops them by the `now` it is given, like the SQL rows,
      // and reports them under the tables they replace.
      const { deleted } = report;
      deleted.interactions += await interactions.purge(now);
      deleted.replay += await replay.purge(now);
      deleted.rate_limits += await rateLimits.purge(now);
      return report;
    },
    close: () => (closing ??= redis.close().then(() => store.close())),
  };
}
