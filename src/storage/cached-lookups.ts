/**
 * Guarantee: a client or API read on every request is read from the database once per change, not once per request,
 * and a change (through this store or any other writer) is seen from the moment the watch reports it.
 *
 * Dialect-neutral: the watch says when cached reads may be stale (SQLite: `PRAGMA data_version`,
 * sqlite/cached-lookups.ts; PostgreSQL: LISTEN/NOTIFY, postgres/changes.ts).
 */
import type { ApisRepository, ClientsRepository, RateLimitsRepository, WindowCounts } from './types.js';

/** Tells a cache when what it read may be stale. */
export interface CacheWatch {
  /** A number that changes whenever cached reads may be stale; undefined while changes cannot be noticed (do not cache). */
  generation(): number | undefined;
  /** This process changed a cached table. */
  changed(): void;
}

/**
 * Keeps the results of `find` (frozen: callers share them) until the watch says they may be stale. Misses (undefined) are kept too, so
 * that a flood of requests for an unknown client does not reach the database either.
 */
function cachedFind<T>(watch: CacheWatch, find: (key: string) => Promise<T | undefined>, maxEntries = 1000) {
  let generation = -1;
  const entries = new Map<string, Promise<T | undefined>>();
  return (key: string): Promise<T | undefined> => {
    const current = watch.generation();
    if (current !== generation) {
      entries.clear();
      generation = current ?? -1;
    }
    // Changes cannot be heard now: read through, remember nothing.
    if (current === undefined) return find(key).then((value) => (value === undefined ? value : Object.freeze(value)));
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const found = find(key).then((value) => (value === undefined ? value : Object.freeze(value)));
    if (entries.size >= maxEntries) entries.clear();
    entries.set(key, found);
    // A failed read is not remembered.
    found.catch(() => {
      if (entries.get(key) === found) entries.delete(key);
    });
    return found;
  };
}

/** Runs a write, then marks cached reads stale (also when the write failed: it may have changed something). */
function thenChanged<A extends unknown[], R>(watch: CacheWatch, write: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await write(...args);
    } finally {
      watch.changed();
    }
  };
}

/** Clients are read on every token request; they change rarely, through this repository or the CLI. */
export function cachedClients(repo: ClientsRepository, watch: CacheWatch): ClientsRepository {
  return {
    ...repo,
    find: cachedFind(watch, (clientId) => repo.find(clientId)),
    create: thenChanged(watch, (client) => repo.create(client)),
    update: thenChanged(watch, (clientId, patch) => repo.update(clientId, patch)),
    delete: thenChanged(watch, (clientId) => repo.delete(clientId)),
  };
}

/** APIs (RFC 8707 resources) are read on every token request for one. */
export function cachedApis(repo: ApisRepository, watch: CacheWatch): ApisRepository {
  return {
    ...repo,
    find: cachedFind(watch, (identifier) => repo.find(identifier)),
    create: thenChanged(watch, (api) => repo.create(api)),
    setIntrospectionClients: thenChanged(watch, (identifier, clientIds) => repo.setIntrospectionClients(identifier, clientIds)),
    update: thenChanged(watch, (identifier, patch) => repo.update(identifier, patch)),
    delete: thenChanged(watch, (identifier, now) => repo.delete(identifier, now)),
  };
}


interface CachedCounts {
  window: number;
  windowStart: number;
  /** The `now` of the read that found these counts. */
  readAt: number;
  counts: WindowCounts;
}

export interface CachedRateLimitsOptions {
  /** Only the counts of these keys are kept (default: every key); the others are read from the database each time. */
  cacheable?: (key: string) => boolean;
  /** Counts older than this (seconds, by the `now` given) are read again, notice or not (default: no limit). */
  maxAgeSeconds?: number;
  maxEntries?: number;
}

/**
 * Every check of a secret reads its failure counts, client authentication at /token and /introspect included, and
 * almost always finds none. Counts read once stay exact until a hit or a reset on that key: this process's own (which
 * forgets the key) or another writer's, which the watch reports (SQLite: another connection committed; PostgreSQL: the
 * NOTIFY of migration 022's trigger, heard by every instance). Successful authentications then read nothing. A read
 * that raced a write (local, or reported by the watch) is not remembered; while the watch cannot hear changes
 * (`generation()` undefined) every read goes to the database, and with `maxAgeSeconds` no count is older than that
 * even if a notice is lost.
 */
export function cachedRateLimits(repo: RateLimitsRepository, watch: CacheWatch, options: CachedRateLimitsOptions = {}): RateLimitsRepository {
  const { cacheable = () => true, maxAgeSeconds = Number.POSITIVE_INFINITY, maxEntries = 10_000 } = options;
  let generation: number | undefined = -1;
  let localWrites = 0;
  const entries = new Map<string, CachedCounts>();
  const forget = (key: string) => {
    localWrites += 1;
    entries.delete(key);
  };
  const written =
    <A extends unknown[], R>(write: (key: string, ...rest: A) => Promise<R>) =>
    async (key: string, ...rest: A): Promise<R> => {
      forget(key);
      try {
        return await write(key, ...rest);
      } finally {
        forget(key);
      }
    };
  return {
    ...repo,
    hit: written((key, windowSeconds: number, now: number) => repo.hit(key, windowSeconds, now)),
    reset: written((key) => repo.reset(key)),
    async counts(keys, windowSeconds, now) {
      const current = watch.generation();
      if (current !== generation) {
        entries.clear();
        generation = current;
      }
      // Changes cannot be heard now: read through, remember nothing.
      if (current === undefined) return repo.counts(keys, windowSeconds, now);
      const windowStart = Math.floor(now / windowSeconds) * windowSeconds;
      const result = new Map<string, WindowCounts>();
      let misses: string[] | undefined;
      for (const key of keys) {
        const entry = entries.get(key);
        if (entry !== undefined && entry.window === windowSeconds && entry.windowStart === windowStart && now - entry.readAt < maxAgeSeconds) {
          result.set(key, entry.counts);
        }
        else (misses ??= []).push(key);
      }
      if (misses === undefined) return result;
      const writesBefore = localWrites;
      const read = await repo.counts(misses, windowSeconds, now);
      const remember = writesBefore === localWrites && generation === watch.generation();
      if (remember && entries.size + misses.length > maxEntries) entries.clear();
      for (const [key, counts] of read) {
        result.set(key, counts);
        if (remember && cacheable(key)) entries.set(key, { window: windowSeconds, windowStart, readAt: now, counts: Object.freeze({ ...counts }) });
      }
      return result;
    },
  };
}
