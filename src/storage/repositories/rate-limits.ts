import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { RateLimitsRepository, WindowCounts } from '../types.js';
import { prepare } from './prepared.js';

type CountRow = { key: string; window_start: number; hits: number };
/** Prepared reads of up to this many keys: every check of a secret reads its counts, client authentication included. */
const PREPARED_KEYS = 3;

function windowStartOf(windowSeconds: number, now: number): number {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
  }
  return Math.floor(now / windowSeconds) * windowSeconds;
}

export function rateLimitsRepository(db: Kysely<Database>): RateLimitsRepository {
  // One prepared query per number of keys (1 to PREPARED_KEYS), built and compiled once.
  const countsOf = Array.from({ length: PREPARED_KEYS }, (_, i) =>
    prepare<Record<string, string | number>, CountRow>(db, (p) =>
      db
        .selectFrom('rate_limits')
        .select(['key', 'window_start', 'hits'])
        .where(
          'key',
          'in',
          Array.from({ length: i + 1 }, (_, k) => p<string>(`k${k}`)),
        )
        .where('window_seconds', '=', p<number>('window'))
        .where('window_start', 'in', [p<number>('current'), p<number>('previous')]),
    ),
  );

  async function countRows(keys: readonly string[], windowSeconds: number, windowStart: number): Promise<CountRow[]> {
    const prepared = countsOf[keys.length - 1];
    if (prepared) {
      const params: Record<string, string | number> = { window: windowSeconds, current: windowStart, previous: windowStart - windowSeconds };
      for (let k = 0; k < keys.length; k++) params[`k${k}`] = keys[k] as string;
      return (await prepared(params)).rows;
    }
    return db
      .selectFrom('rate_limits')
      .select(['key', 'window_start', 'hits'])
      .where('key', 'in', [...keys])
      .where('window_seconds', '=', windowSeconds)
      .where('window_start', 'in', [windowStart, windowStart - windowSeconds])
      .execute();
  }

  return {
    async hit(key, windowSeconds, now) {
      const windowStart = windowStartOf(windowSeconds, now);
      const row = await db
        .insertInto('rate_limits')
        // Kept until the next window ends: a sliding estimate still reads it then (`counts`).
        .values({ key, window_seconds: windowSeconds, window_start: windowStart, hits: 1, expires_at: windowStart + 2 * windowSeconds })
        .onConflict((oc) => oc.columns(['key', 'window_seconds', 'window_start']).doUpdateSet({ hits: (eb) => eb('rate_limits.hits', '+', 1) }))
        .returning('hits')
        .executeTakeFirstOrThrow();
      return Number(row.hits);
    },

    async counts(keys, windowSeconds, now) {
      const windowStart = windowStartOf(windowSeconds, now);
      const result = new Map<string, WindowCounts>(keys.map((key) => [key, { current: 0, previous: 0 }]));
      if (keys.length === 0) return result;
      for (const row of await countRows(keys, windowSeconds, windowStart)) {
        const counts = result.get(row.key);
        if (!counts) continue;
        if (Number(row.window_start) === windowStart) counts.current = Number(row.hits);
        else counts.previous = Number(row.hits);
      }
      return result;
    },

    async reset(key) {
      await db.deleteFrom('rate_limits').where('key', '=', key).execute();
    },
  };
}
