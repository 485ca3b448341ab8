import type { KeysRepository } from './types.js';

/**
 * "The signing keys changed": what a running server needs to publish a rotation at once, whoever made
 * it (this process, `latch keys rotate`, another instance). SQLite notices through `PRAGMA data_version`,
 * PostgreSQL through LISTEN/NOTIFY (postgres/key-changes.ts). A listener may be called more than once
 * for one change; it reloads the key ring, which is idempotent.
 */
export interface KeyChanges {
  /** Calls `listener` soon (well within a second) after the keys change. Returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}

/** What a backend plugs into KeyChangeHub: it starts watching at the first subscriber and stops at the last. */
export interface KeyChangeSource {
  start(emit: () => void): void;
  /** Called after each write through this store's keys repository (PostgreSQL: NOTIFY the other instances). */
  wrote(): Promise<void>;
  stop(): Promise<void>;
}

export class KeyChangeHub implements KeyChanges {
  readonly #source: KeyChangeSource;
  readonly #listeners = new Set<() => void>();

  constructor(source: KeyChangeSource) {
    this.#source = source;
  }

  subscribe(listener: () => void): () => void {
    const wrapped = () => listener();
    this.#listeners.add(wrapped);
    if (this.#listeners.size === 1) this.#source.start(() => this.#emit());
    return () => {
      if (!this.#listeners.delete(wrapped)) return;
      if (this.#listeners.size === 0) void this.#source.stop();
    };
  }

  /** This process changed the keys: its own listeners hear it at once, other processes through the source. */
  async wrote(): Promise<void> {
    this.#emit();
    await this.#source.wrote();
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#source.stop();
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The keys repository, telling the hub after every write (also a failed one: it may have changed something). */
export function announcingKeyWrites(repo: KeysRepository, hub: KeyChangeHub): KeysRepository {
  const announced =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        // A lost notice must not turn a done write into a failure: the periodic reload is the safety net.
        await hub.wrote().catch(() => undefined);
      }
    };
  return {
    ...repo,
    create: announced((key) => repo.create(key)),
    setState: announced((kid, state, now) => repo.setState(kid, state, now)),
    delete: announced((kid) => repo.delete(kid)),
  };
}

const SQLITE_POLL_MS = 200;

/**
 * SQLite: `PRAGMA data_version` changes when another connection commits anything; only then are the
 * keys' ids and states read, and listeners told when those differ. A cheap synchronous look every 200 ms.
 */
export function sqliteKeyChangeSource(dataVersion: () => number, fingerprint: () => Promise<string>): KeyChangeSource {
  let timer: NodeJS.Timeout | undefined;
  let version: number | undefined;
  let last: Promise<string> | undefined;
  let checking = false;
  return {
    start(emit) {
      version = dataVersion();
      last = fingerprint();
      last.catch(() => undefined);
      timer = setInterval(() => {
        const current = dataVersion();
        if (current === version || checking) return;
        version = current;
        checking = true;
        void (async () => {
          try {
            const [before, now] = await Promise.all([last?.catch(() => undefined), fingerprint()]);
            last = Promise.resolve(now);
            if (before !== now) emit();
          } catch {
            // The periodic reload of the key ring is the safety net.
          } finally {
            checking = false;
          }
        })();
      }, SQLITE_POLL_MS);
      timer.unref();
    },
    async wrote() {
      // Other processes see this write in their data_version; this process's listeners were told by the hub.
      if (timer) last = fingerprint();
      last?.catch(() => undefined);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
