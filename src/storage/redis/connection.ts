/**
 * One ioredis connection for the short-lived state (rate limits, replay caches, interactions): it fails a command
 * fast while Redis cannot be reached (no offline queue, a command timeout) as StoreUnavailableError, which `http/`
 * answers with 503, and reconnects by itself.
 */
import { Redis, ReplyError } from 'ioredis';
import { StoreUnavailableError } from '../unavailable.js';

export interface RedisOptions {
  /** Every key starts with it, so that several deployments (and tests) share one Redis; default `latch:`. */
  keyPrefix?: string;
  /** How long to wait for a connection before a command fails; default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long a sent command may take before it fails as unavailable; default 2000 ms. */
  commandTimeoutMs?: number;
  /** Told about connection errors (ioredis keeps reconnecting). */
  onError?: (error: Error) => void;
}

/** What a repository needs: the client, the prefix, fault mapping and the garbage-collection time of a value. */
export interface RedisConnection {
  readonly client: Redis;
  readonly prefix: string;
  /** Runs Redis commands; connection faults and Redis's "not now" replies become StoreUnavailableError. */
  run<T>(commands: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * When Redis may drop a value that expires at `expiresAt` (Unix seconds), in Unix milliseconds. Expiry itself is
 * decided against the `now` each call is given; this TTL only collects garbage, so it is never earlier than a minute
 * from the real now, and a little after `expiresAt` for instances whose clocks differ.
 */
export function collectAfter(expiresAt: number): number {
  return Math.max(expiresAt * 1000, Date.now() + 60_000) + 5_000;
}

/** Redis replies that mean "not now" (a restart, a failover): retryable. Any other reply error is a bug. */
const UNAVAILABLE_REPLIES = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

export function asRedisUnavailable(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !(error instanceof Error)) return error;
  if (error instanceof ReplyError && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  // Anything else ioredis throws is about the connection: refused, closed, timed out, not yet ready (no offline queue).
  return new StoreUnavailableError(`Redis is unreachable (${error.message})`, { cause: error, retryAfter: 2 });
}

export function validateRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('redisUrl must be a redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error('redisUrl must be a redis:// or rediss:// URL');
  return parsed;
}

/** The scripts use PEXPIRETIME and ZADD GT: Redis 7.0 or later. Throws naming the key for an older server. */
export function requireRedis7(info: string): void {
  const version = /^redis_version:(\d+)\.(\d+)/m.exec(info);
  if (version && Number(version[1]) < 7) {
    throw new Error(`redisUrl: Redis 7.0 or later is needed, the server is ${version[1]}.${version[2]}`);
  }
}

/**
 * Connects, waiting for the first connection up to the connect timeout; Redis down at start is not an error (the
 * requests that need it answer 503 until it is up), an older Redis than the scripts need is.
 */
export async function openRedis(url: string, options: RedisOptions = {}): Promise<RedisConnection> {
  validateRedisUrl(url);
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const client = new Redis(url, {
    connectTimeout,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    // A request fails now rather than waiting for Redis to come back; ioredis reconnects in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  // Told once per outage (a refused connection, or one that closed), not at every reconnection attempt.
  let told = false;
  let closing: Promise<void> | undefined;
  const tell = (error: Error) => {
    if (!told && closing === undefined) options.onError?.(error);
    told = true;
  };
  client.on('ready', () => (told = false));
  client.on('error', tell);
  client.on('close', () => tell(new Error('the Redis connection closed; reconnecting')));
  await Promise.race([
    client.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, connectTimeout).unref()),
  ]);
  if (client.status === 'ready') {
    try {
      requireRedis7(await client.info('server'));
    } catch (error) {
      client.disconnect();
      throw error;
    }
  }
  return {
    client,
    prefix: options.keyPrefix ?? 'latch:',
    async run(commands) {
      try {
        return await commands();
      } catch (error) {
        throw asRedisUnavailable(error);
      }
    },
    close: () =>
      (closing ??= client.quit().then(
        () => undefined,
        () => client.disconnect(),
      )),
  };
}
