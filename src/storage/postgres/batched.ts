/**
 * Guarantee: on PostgreSQL, the tokens issued in one event-loop turn are inserted by one statement (one commit, one
 * round trip), and the introspections and rate-limit reads of one turn are answered by one query each; every caller
 * still gets only its own answer, and a token's request is answered only after the statement that wrote it committed.
 *
 * The statements take arrays (`unnest`, `= any`), so each has one text whatever the batch size: one prepared
 * statement per connection (prepared-statements.ts).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import { toRow, withGrantState } from '../repositories/tokens.js';
import type { RateLimitsRepository, TokenRecord, TokensRepository, WindowCounts } from '../types.js';
import { turnBatch } from './turn-batch.js';

type TokenWithGrantRow = Selectable<TokensTable> & { grant_found: string | null; grant_revoked_at: number | null };

export function batchedTokens(repo: TokensRepository, db: Kysely<Database>): TokensRepository {
  const create = turnBatch<TokenRecord, void>({
    one: (token) => repo.create(token),
    async run(tokens) {
      const rows = tokens.map(toRow);
      const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((row) => row[key] ?? null);
      await sql`insert into tokens (digest, kind, grant_id, client_id, sub, scope, audience, data, created_at, expires_at, consumed_at, revoked_at, jkt)
        select * from unnest(${column('digest')}::text[], ${column('kind')}::text[], ${column('grant_id')}::text[], ${column('client_id')}::text[],
          ${column('sub')}::text[], ${column('scope')}::text[], ${column('audience')}::text[], ${column('data')}::jsonb[],
          ${column('created_at')}::bigint[], ${column('expires_at')}::bigint[], ${column('consumed_at')}::bigint[], ${column('revoked_at')}::bigint[], ${column('jkt')}::text[])`.execute(db);
      return tokens.map(() => undefined);
    },
  });
  const findWithGrant = turnBatch<string, Awaited<ReturnType<TokensRepository['findWithGrant']>>>({
    one: (digest) => repo.findWithGrant(digest),
    async run(digests) {
      const { rows } = await sql<TokenWithGrantRow>`select tokens.*, grants.grant_id as grant_found, grants.revoked_at as grant_revoked_at
        from tokens left join grants on grants.grant_id = tokens.grant_id where tokens.digest = any(${[...new Set(digests)]}::text[])`.execute(db);
      const found = new Map(rows.map((row) => [row.digest, row]));
      // Each caller its own copy (records are not shared between requests).
      return digests.map((digest) => {
        const row = found.get(digest);
        return row && withGrantState(row);
      });
    },
  });
  return { ...repo, create, findWithGrant };
}

interface CountsRead {
  keys: readonly string[];
  windowSeconds: number;
  now: number;
}

type CountRow = { key: string; window_seconds: number; window_start: number; hits: number };

/** Rate-limit counts stay read from the database on every check (shared by every instance); only the reads of a turn are joined. */
export function batchedRateLimits(repo: RateLimitsRepository, db: Kysely<Database>): RateLimitsRepository {
  const counts = turnBatch<CountsRead, Map<string, WindowCounts>>({
    one: (read) => repo.counts(read.keys, read.windowSeconds, read.now),
    async run(reads) {
      const windows = [...new Set(reads.map((read) => read.windowSeconds))];
      const starts = [...new Set(reads.flatMap((read) => [windowStart(read), windowStart(read) - read.windowSeconds]))];
      const keys = [...new Set(reads.flatMap((read) => read.keys))];
      const { rows } = await sql<CountRow>`select key, window_seconds, window_start, hits from rate_limits
        where key = any(${keys}::text[]) and window_seconds = any(${windows}::bigint[]) and window_start = any(${starts}::bigint[])`.execute(db);
      const byKey = new Map<string, CountRow[]>();
      for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
      return reads.map((read) => {
        const start = windowStart(read);
        const result = new Map<string, WindowCounts>();
        for (const key of read.keys) {
          const counts = { current: 0, previous: 0 };
          for (const row of byKey.get(key) ?? []) {
            if (Number(row.window_seconds) !== read.windowSeconds) continue;
            if (Number(row.window_start) === start) counts.current = Number(row.hits);
            else if (Number(row.window_start) === start - read.windowSeconds) counts.previous = Number(row.hits);
          }
          result.set(key, counts);
        }
        return result;
      });
    },
  });
  return {
    ...repo,
    counts(keys, windowSeconds, now) {
      // Nothing to join, or a bad window (the repository says why).
      if (keys.length === 0 || !Number.isInteger(windowSeconds) || windowSeconds <= 0) return repo.counts(keys, windowSeconds, now);
      return counts({ keys, windowSeconds, now });
    },
  };
}

const windowStart = (read: CountsRead) => Math.floor(read.now / read.windowSeconds) * read.windowSeconds;
