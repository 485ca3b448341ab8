import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { ReplayRepository } from '../types.js';

export function replayRepository(db: Kysely<Database>): ReplayRepository {
  return {
    async remember(key, expiresAt, now) {
      // One statement: insert, or take over an entry that has expired; a live entry is left alone (a replay).
      const row = await db
        .insertInto('replay')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
            .where('replay.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
