import type { CacheWatch } from '../cached-lookups.js';
import type { RateLimitsRepository, WindowCounts } from '../types.js';

export { cachedApis, cachedClients } from '../cached-lookups.js';

/**
 * Tells when data read earlier may be stale: another connection (the CLI, another Latch process on the same
 * file) committed since (SQLite's `PRAGMA data_version`, looked at no more than once per event-loop turn), or
 * this process changed a cached table itself. Reads in one turn are concurrent anyway, so one look per turn
 * answers each of them with data that was committed when the turn began.
 */
export class ChangeWatch implements CacheWatch {
  readonly #dataVersion: () => number;
  #version: number | undefined;
  #generation = 0;
  #lookedThisTurn = false;

  constructor(dataVersion: () => number) {
    this.#dataVersion = dataVersion;
  }

  /** A number that changes whenever cached reads may be stale. */
  generation(): number {
    if (!this.#lookedThisTurn) {
      this.#lookedThisTurn = true;
      setImmediate(() => {
        this.#lookedThisTurn = false;
      });
      const version = this.#dataVersion();
      if (version !== this.#version) {
        this.#version = version;
        this.#generation += 1;
      }
    }
    return this.#generation;
  }

  /** This process changed a cached table. */
  changed(): void {
    this.#generation += 1;
  }
}

interface CachedCounts {
  window: number;
  windowStart: number;
  counts: WindowCounts;
}

/**
 * Every check of a secret reads its failure counts, client authentication at /token and /introspect included, and
 * almost always finds none. With one process writing through one connection, counts read once stay exact until this
 * process counts a hit on that key (which forgets it) or another connection commits (the watch): successful
 * authentications then read nothing. A read that raced a local write is not remembered.
 */
export function cachedRateLimits(repo: RateLimitsRepository, watch: ChangeWatch, maxEntries = 10_000): RateLimitsRepository {
  let generation = -1;
  let localWrites = 0;
  const entries = new Map<string, CachedCounts>();
  const forget = (key: string) => {
    localWrites += 1;
    entries.delete(key);
  };
  const written = <A extends unknown[], R>(write: (key: string, ...rest: A) => Promise<R>) =>
    async (key: string, ...rest: A): Promise<R> => {
      forget(key);
      try {
        return await write(key, ...rest);
      } finally {
        forget(key);
      }
    };
  return {
    hit: written((key, windowSeconds: number, now: number) => repo.hit(key, windowSeconds, now)),
    reset: written((key) => repo.reset(key)),
    async counts(keys, windowSeconds, now) {
      const current = watch.generation();
      if (current !== generation) {
        entries.clear();
        generation = current;
      }
      const windowStart = Math.floor(now / windowSeconds) * windowSeconds;
      const result = new Map<string, WindowCounts>();
      let misses: string[] | undefined;
      for (const key of keys) {
        const entry = entries.get(key);
        if (entry !== undefined && entry.window === windowSeconds && entry.windowStart === windowStart) result.set(key, entry.counts);
        else (misses ??= []).push(key);
      }
      if (misses === undefined) return result;
      const writesBefore = localWrites;
      const read = await repo.counts(misses, windowSeconds, now);
      const remember = writesBefore === localWrites && generation === watch.generation();
      if (remember && entries.size + misses.length > maxEntries) entries.clear();
      for (const [key, counts] of read) {
        result.set(key, counts);
        if (remember) entries.set(key, { window: windowSeconds, windowStart, counts: Object.freeze({ ...counts }) });
      }
      return result;
    },
  };
}
