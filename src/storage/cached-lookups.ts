/**
 * Guarantee: a client or API read on every request is read from the database once per change, not once per request,
 * and a change (through this store or any other writer) is seen from the moment the watch reports it.
 *
 * Dialect-neutral: the watch says when cached reads may be stale (SQLite: `PRAGMA data_version`,
 * sqlite/cached-lookups.ts; PostgreSQL: LISTEN/NOTIFY, postgres/changes.ts).
 */
import type { ApisRepository, ClientsRepository } from './types.js';

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

