import type { CacheWatch } from '../cached-lookups.js';

export { cachedApis, cachedClients, cachedRateLimits } from '../cached-lookups.js';

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
