import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/** Deletes every row whose lifetime ended at or before `now`. Grants and consents do not expire. */
export async function purgeExpired(db: Kysely<Database>, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['authorization_codes', 'device_codes', 'tokens', 'sessions', 'interactions', 'replay', 'rate_limits'] as const) {
      await trx.deleteFrom(table).where('expires_at', '<=', now).execute();
    }
  });
}
