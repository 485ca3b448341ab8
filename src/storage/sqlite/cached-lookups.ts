import type { ApisRepository, ClientsRepository } from '../types.js';

/**
 * Tells when data read earlier may be stale: another connection (the CLI, another Latch process on the same
 * file) committed since (SQLite's `PRAGMA data_version`, looked at no more than once per event-loop turn), or
 * this process changed a cached table itself. Reads in one turn are concurrent anyway, so one look per turn
 * answers each of them with data that was committed when the turn began.
 */
export class ChangeWatch {
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

/**
 * Keeps the results of `find` (frozen: callers share them) until the watch says they may be stale. Misses (undefined) are kept too, so
 * that a flood of requests for an unknown client does not reach the database either.
 */
function cachedFind<T>(watch: ChangeWatch, find: (key: string) => Promise<T | undefined>, maxEntries = 1000) {
  let generation = -1;
  const entries = new Map<string, Promise<T | undefined>>();
  return (key: string): Promise<T | undefined> => {
    const current = watch.generation();
    if (current !== generation) {
      entries.clear();
      generation = current;
    }
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
function thenChanged<A extends unknown[], R>(watch: ChangeWatch, write: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await write(...args);
    } finally {
      watch.changed();
    }
  };
}

/** Clients are read on every token request; they change rarely, through this repository or the CLI. */
export function cachedClients(repo: ClientsRepository, watch: ChangeWatch): ClientsRepository {
  return {
    ...repo,
    find: cachedFind(watch, (clientId) => repo.find(clientId)),
    create: thenChanged(watch, (client) => repo.create(client)),
    update: thenChanged(watch, (clientId, patch) => repo.update(clientId, patch)),
    delete: thenChanged(watch, (clientId) => repo.delete(clientId)),
  };
}

/** APIs (RFC 8707 resources) are read on every token request for one. */
export function cachedApis(repo: ApisRepository, watch: ChangeWatch): ApisRepository {
  return {
    ...repo,
    find: cachedFind(watch, (identifier) => repo.find(identifier)),
    create: thenChanged(watch, (api) => repo.create(api)),
    setIntrospectionClients: thenChanged(watch, (identifier, clientIds) => repo.setIntrospectionClients(identifier, clientIds)),
    delete: thenChanged(watch, (identifier, now) => repo.delete(identifier, now)),
  };
}
