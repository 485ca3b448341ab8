/**
 * Guarantee: a change to clients, APIs, signing keys or rate-limit counts committed by any writer is heard by every
 * instance on the schema within a second, and nothing is served from a cache while changes cannot be heard.
 */
import pg from 'pg';
import type { CacheWatch } from '../cached-lookups.js';

/** The channel of migration 015's and 022's triggers; the payload is `<schema>:<table>`. */
export const CHANGES_CHANNEL = 'latch_changes';
/** The channel key writes announce themselves on (payload: the schema), kept for instances of earlier versions. */
export const KEY_CHANGES_CHANNEL = 'latch_keys';
/** The listening connection's application_name, per schema (what an operator sees in pg_stat_activity). */
export const changeListenerApplicationName = (schema: string) => `latch-changes:${schema}`;

/** What changed: the tables whose rows instances keep in memory. */
export type ChangeTopic = 'keys' | 'clients' | 'apis' | 'rate_limits';
const TOPICS: readonly ChangeTopic[] = ['keys', 'clients', 'apis', 'rate_limits'];
const TABLE_TOPICS: Record<string, ChangeTopic> = { signing_keys: 'keys', clients: 'clients', apis: 'apis', rate_limits: 'rate_limits' };

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export interface ChangeListenerOptions {
  connectionString: string;
  schema: string;
  /** Told when the listening connection is lost; it reconnects by itself. */
  onError?: (error: unknown) => void;
}

/**
 * One dedicated connection per store (not one of the pool's) that LISTENs for the changes of its schema, started at
 * first use. What is cached from PostgreSQL is cached only while it listens: before the LISTEN is done, while the
 * connection is lost and until it is back, `watch(topic).generation()` is undefined and readers go to the database.
 * Each reconnection drops every cache and tells every topic's listeners, since a change may have been missed.
 */
export class PostgresChangeListener {
  readonly #options: ChangeListenerOptions;
  readonly #generations = new Map<ChangeTopic, number>(TOPICS.map((topic) => [topic, 0]));
  readonly #listeners = new Set<(topic: ChangeTopic) => void>();
  #running = false;
  #closed = false;
  #live = false;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delay = RECONNECT_MIN_MS;

  constructor(options: ChangeListenerOptions) {
    this.#options = options;
  }

  /** True while the LISTEN connection is up. */
  get live(): boolean {
    return this.#live;
  }

  /** Staleness of `topic` for a cache; using it starts the listener. */
  watch(topic: ChangeTopic): CacheWatch {
    return {
      generation: () => {
        this.start();
        return this.#live ? this.#generations.get(topic) : undefined;
      },
      changed: () => this.#bump(topic),
    };
  }

  /** Calls `listener` with each topic that changed (every topic after a reconnection). Starts the listener. */
  subscribe(listener: (topic: ChangeTopic) => void): () => void {
    const wrapped = (topic: ChangeTopic) => listener(topic);
    this.#listeners.add(wrapped);
    this.start();
    return () => void this.#listeners.delete(wrapped);
  }

  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#connect();
  }

  /** For good (the store closes): later reads go to the database, or fail as the store is closed. */
  async stop(): Promise<void> {
    this.#closed = true;
    this.#running = false;
    this.#live = false;
    this.#listeners.clear();
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const current = this.#client;
    this.#client = undefined;
    if (current) {
      current.removeAllListeners('end');
      current.on('end', () => undefined);
      await current.end().catch(() => undefined);
    }
  }

  #bump(topic: ChangeTopic): void {
    this.#generations.set(topic, (this.#generations.get(topic) ?? 0) + 1);
  }

  #changed(topic: ChangeTopic): void {
    this.#bump(topic);
    for (const listener of [...this.#listeners]) listener(topic);
  }

  #heard(message: pg.Notification): void {
    const { schema } = this.#options;
    if (message.channel === KEY_CHANGES_CHANNEL) {
      if (message.payload === schema) this.#changed('keys');
      return;
    }
    if (message.channel !== CHANGES_CHANNEL || message.payload === undefined) return;
    const at = message.payload.lastIndexOf(':');
    const topic = TABLE_TOPICS[message.payload.slice(at + 1)];
    if (topic !== undefined && message.payload.slice(0, at) === schema) this.#changed(topic);
  }

  async #connect(): Promise<void> {
    const { connectionString, schema } = this.#options;
    const current = new pg.Client({ connectionString, application_name: changeListenerApplicationName(schema) });
    this.#client = current;
    let dropped = false;
    const drop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (this.#client === current) {
        this.#client = undefined;
        // Caches stop at once: changes are not heard until the connection is back.
        this.#live = false;
      }
      if (error !== undefined) this.#options.onError?.(error);
      current.removeAllListeners('notification');
      current.end().catch(() => undefined);
      if (!this.#running) return;
      this.#retry = setTimeout(() => void this.#connect(), this.#delay);
      this.#retry.unref();
      this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS);
    };
    current.on('error', drop);
    current.on('end', () => drop());
    current.on('notification', (message) => this.#heard(message));
    try {
      await current.connect();
      await current.query(`LISTEN ${CHANGES_CHANNEL}; LISTEN ${KEY_CHANGES_CHANNEL}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (!this.#running || dropped) {
      await current.end().catch(() => undefined);
      return;
    }
    this.#delay = RECONNECT_MIN_MS;
    this.#live = true;
    // A change may have come while this connection was away, or before the first LISTEN.
    for (const topic of TOPICS) this.#changed(topic);
  }
}
