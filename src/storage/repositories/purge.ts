import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * Deletes every row whose lifetime ended at or before `now`, and the events older than `eventsBefore` (the audit
 * trail's retention). Grants and consents do not expire.
 */
export async function purgeExpired(db: Kysely<Database>, now: number, options: { eventsBefore?: number } = {}): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['authorization_codes', 'device_codes', 'tokens', 'sessions', 'interactions', 'replay', 'rate_limits', 'federation_states', 'account_tokens', 'passkey_challenges'] as const) {
      await trx.deleteFrom(table).where('expires_at', '<=', now).execute();
    }
    if (options.eventsBefore !== undefined) await trx.deleteFrom('events').where('at', '<', options.eventsBefore).execute();
  });
}
