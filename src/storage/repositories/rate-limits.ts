import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { RateLimitsRepository } from '../types.js';

export function rateLimitsRepository(db: Kysely<Database>): RateLimitsRepository {
  return {
    async hit(key, windowSeconds, now) {
      if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
        throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
      }
      const windowStart = Math.floor(now / windowSeconds) * windowSeconds;
      const row = await db
        .insertInto('rate_limits')
        .values({ key, window_seconds: windowSeconds, window_start: windowStart, hits: 1, expires_at: windowStart + windowSeconds })
        .onConflict((oc) => oc.columns(['key', 'window_seconds', 'window_start']).doUpdateSet({ hits: (eb) => eb('rate_limits.hits', '+', 1) }))
        .returning('hits')
        .executeTakeFirstOrThrow();
      return Number(row.hits);
    },

    async reset(key) {
      await db.deleteFrom('rate_limits').where('key', '=', key).execute();
    },
  };
}
