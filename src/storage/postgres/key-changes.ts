import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { KeyChangeSource } from '../key-changes.js';
import { changeListenerApplicationName, KEY_CHANGES_CHANNEL, type PostgresChangeListener } from './changes.js';

export { KEY_CHANGES_CHANNEL } from './changes.js';
/** The listening connection's application_name, per schema: the store's one change listener (changes.ts). */
export const keyListenerApplicationName = changeListenerApplicationName;

export interface PostgresKeyChangeOptions {
  kysely: Kysely<Database>;
  schema: string;
  /** The store's change listener: its connection reconnects by itself, and then reports the keys changed. */
  changes: PostgresChangeListener;
}

/**
 * PostgreSQL: every write to the keys sends a notice (migration 015's trigger, on commit; and the older
 * `latch_keys` one, for instances of earlier versions), which each server hears on the store's listening
 * connection (changes.ts).
 */
export function postgresKeyChangeSource(options: PostgresKeyChangeOptions): KeyChangeSource {
  const { kysely, schema, changes } = options;
  let unsubscribe: (() => void) | undefined;
  return {
    start(emit) {
      unsubscribe?.();
      unsubscribe = changes.subscribe((topic) => {
        if (topic === 'keys') emit();
      });
    },
    async wrote() {
      await sql`select pg_notify(${KEY_CHANGES_CHANNEL}, ${schema})`.execute(kysely);
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
