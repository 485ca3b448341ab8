import { sql, type Kysely } from 'kysely';

/**
 * Every committed change to the rate-limit counts (a failure counted, a pair reset, a purge) sends
 * `NOTIFY latch_changes, '<schema>:rate_limits'` (postgres/changes.ts), whoever wrote it: instances keep the counts
 * of client authentication in memory (storage/cached-lookups.ts cachedRateLimits) until they hear it. Uses migration
 * 015's function; one notice per transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create trigger latch_changed after insert or update or delete or truncate on rate_limits
    for each statement execute function latch_notify_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists latch_changed on rate_limits`.execute(db);
}
