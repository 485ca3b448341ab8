import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { KeyChangeSource } from '../key-changes.js';

/** One channel for every Latch database; the payload names the schema, so instances on other schemas ignore it. */
export const KEY_CHANGES_CHANNEL = 'latch_keys';
/** The listening connection's application_name, per schema (what an operator sees in pg_stat_activity). */
export const keyListenerApplicationName = (schema: string) => `latch-key-changes:${schema}`;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export interface PostgresKeyChangeOptions {
  kysely: Kysely<Database>;
  connectionString: string;
  schema: string;
  /** Told when the listening connection is lost; it reconnects by itself. */
  onError?: (error: unknown) => void;
}

/**
 * PostgreSQL: every write to the keys sends NOTIFY; each server LISTENs on a dedicated connection (not
 * one of the pool's), which reconnects when dropped and then tells its listeners once, since a change
 * may have been missed while it was away.
 */
export function postgresKeyChangeSource(options: PostgresKeyChangeOptions): KeyChangeSource {
  const { kysely, connectionString, schema } = options;
  let running = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RECONNECT_MIN_MS;

  const connect = async (emit: () => void): Promise<void> => {
    const current = new pg.Client({ connectionString, application_name: keyListenerApplicationName(schema) });
    client = current;
    let dropped = false;
    const drop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (error !== undefined) options.onError?.(error);
      current.removeAllListeners('notification');
      current.end().catch(() => undefined);
      if (client === current) client = undefined;
      if (!running) return;
      retry = setTimeout(() => void connect(emit), delay);
      retry.unref();
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
    current.on('error', drop);
    current.on('end', () => drop());
    current.on('notification', (message) => {
      if (message.channel === KEY_CHANGES_CHANNEL && message.payload === schema) emit();
    });
    try {
      await current.connect();
      await current.query(`LISTEN ${KEY_CHANGES_CHANNEL}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (!running) {
      await current.end().catch(() => undefined);
      return;
    }
    delay = RECONNECT_MIN_MS;
    // A change may have come while this connection was away, or before the first LISTEN.
    emit();
  };

  return {
    start(emit) {
      running = true;
      void connect(emit);
    },
    async wrote() {
      await sql`select pg_notify(${KEY_CHANGES_CHANNEL}, ${schema})`.execute(kysely);
    },
    async stop() {
      running = false;
      if (retry) clearTimeout(retry);
      retry = undefined;
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        current.on('end', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
