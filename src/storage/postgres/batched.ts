/**
 * Guarantee: on PostgreSQL, the tokens issued in one event-loop turn are inserted by one statement (one commit, one
 * round trip), and the introspections and rate-limit reads of one turn are answered by one query each; every caller
 * still gets only its own answer, and a token's request is answered only after the statement that wrote it committed.
 *
 * The statements take one parameter for the whole batch (a JSON record set, an array for `= any`), so each has one
 * text whatever the batch size: one prepared statement per connection (prepared-statements.ts).
 */
import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import { withGrantState } from '../repositories/tokens.js';
import type { RateLimitsRepository, TokenRecord, TokensRepository, WindowCounts } from '../types.js';
import { turnBatch } from './turn-batch.js';

type TokenWithGrantRow = Selectable<TokensTable> & { grant_found: string | null; grant_revoked_at: number | null };

/**
 * The rows of a turn as one JSON parameter: one `JSON.stringify` instead of twelve array literals escaped value by
 * value in JavaScript; `data` goes in as the object it is (a jsonb column of the record set).
 */
const insertTokens = CompiledQuery.raw(
  `insert into tokens (digest, kind, grant_id, client_id, sub, scope, audience, data, created_at, expires_at, consumed_at, revoked_at, jkt)
  select * from json_to_recordset($1::json) as t(digest text, kind text, grant_id text, client_id text, sub text, scope text, audience text,
    data jsonb, created_at bigint, expires_at bigint, consumed_at bigint, revoked_at bigint, jkt text)`,
);

const tokenRow = (token: TokenRecord) => ({
  digest: token.digest,
  kind: token.kind,
  grant_id: token.grantId,
  client_id: token.clientId,
  sub: token.sub,
  scope: token.scope,
  audience: token.audience,
  data: token.data,
  created_at: token.createdAt,
  expires_at: token.expiresAt,
  consumed_at: token.consumedAt,
  revoked_at: token.revokedAt,
  jkt: token.jkt ?? null,
});

const findTokensWithGrant = CompiledQuery.raw(
  `select tokens.*, grants.grant_id as grant_found, grants.revoked_at as grant_revoked_at
  from tokens left join grants on grants.grant_id = tokens.grant_id where tokens.digest = any($1::text[])`,
);

export function batchedTokens(repo: TokensRepository, db: Kysely<Database>): TokensRepository {
  const create = turnBatch<TokenRecord, void>({
    one: (token) => repo.create(token),
    async run(tokens) {
      await db.executeQuery({ ...insertTokens, parameters: [JSON.stringify(tokens.map(tokenRow))] });
      return tokens.map(() => undefined);
    },
  });
  const findWithGrant = turnBatch<string, Awaited<ReturnType<TokensRepository['findWithGrant']>>>({
    one: (digest) => repo.findWithGrant(digest),
    async run(digests) {
      const { rows } = await db.executeQuery<TokenWithGrantRow>({ ...findTokensWithGrant, parameters: [[...new Set(digests)]] });
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
