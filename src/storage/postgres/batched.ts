/**
 * Guarantee: on PostgreSQL, the tokens issued in one event-loop turn are inserted by one statement (one commit, one
 * round trip), and the introspections and rate-limit reads of one turn are answered by one query each; every caller
 * still gets only its own answer, and a token's request is answered only after the statement that wrote it committed.
 *
 * The statements take one parameter for the whole batch (a JSON record set, an array for `= any`), so each has one
 * text whatever the batch size: one prepared statement per connection (prepared-statements.ts).
 */
import { CompiledQuery, sql, type Kysely, type QueryResult, type Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import { insertOnce } from '../repositories/codec.js';
import { withGrantState } from '../repositories/tokens.js';
import type { RateLimitsRepository, TokenRecord, TokensRepository, WindowCounts } from '../types.js';
import { turnBatch } from './turn-batch.js';

type TokenWithGrantRow = Selectable<TokensTable> & { grant_found: string | null; grant_revoked_at: number | null };

/**
 * The rows of a turn as one JSON parameter: one `JSON.stringify` instead of twelve array literals escaped value by
 * value in JavaScript; `data` goes in as the object it is (a jsonb column of the record set). The members have
 * one-letter names and a null member is left out (JSON.stringify drops `undefined`; the record set reads a missing
 * member as null): PostgreSQL lexes the parameter twice (its json input check, then json_to_recordset), and the
 * column names and nulls were half of it.
 *
 * The client check is the statement's own, not a foreign key's (migration 023): a foreign key runs a locking query
 * per row; this locks each client of the turn once, FOR KEY SHARE as the key would, and writes only the rows whose
 * client it locked. A client deleted before the lock is skipped (READ COMMITTED rechecks a locked row), so its
 * tokens are not written; a deletion that comes after waits for this commit and then deletes these tokens too
 * (repositories/clients.ts deletes a client's tokens again after the client).
 */
const insertCheckedTokens = `with t as (select * from json_to_recordset($1::json) as t(a text, b text, c text, d text, e text, f text, g text,
    h jsonb, i bigint, j bigint, k bigint, l bigint, m text)),
  c as (select client_id from clients where client_id in (select d from t) for key share)
  insert into tokens (digest, kind, grant_id, client_id, sub, scope, audience, data, created_at, expires_at, consumed_at, revoked_at, jkt)
  select t.a, t.b, t.c, t.d, t.e, t.f, t.g, t.h, t.i, t.j, t.k, t.l, t.m from t join c on c.client_id = t.d`;

export const insertTokens = CompiledQuery.raw(insertCheckedTokens);

/** createIfAbsent (a rotated refresh token's successor): the same check, one row, an existing digest left alone. */
const insertTokenIfAbsent = CompiledQuery.raw(`${insertCheckedTokens} on conflict (digest) do nothing returning digest`);

const clientExists = CompiledQuery.raw('select 1 from clients where client_id = $1');

const existingDigests = CompiledQuery.raw('select digest from tokens where digest = any($1::text[])');

const throwIfError = (outcome: Error | undefined): void => {
  if (outcome) throw outcome;
};

const orNone = <T>(value: T | null): T | undefined => value ?? undefined;

/** A token's row in the parameter: the statement's member names, nulls left out. */
export const tokenRow = (token: TokenRecord) => ({
  a: token.digest,
  b: token.kind,
  c: orNone(token.grantId),
  d: token.clientId,
  e: orNone(token.sub),
  f: token.scope,
  g: orNone(token.audience),
  h: token.data,
  i: token.createdAt,
  j: token.expiresAt,
  k: orNone(token.consumedAt),
  l: orNone(token.revokedAt),
  m: orNone(token.jkt ?? null),
});

/** A token whose client does not exist (or was deleted meanwhile): what the foreign key's violation was before. */
export class UnknownTokenClientError extends Error {
  constructor(clientId: string) {
    super(`token refers to an unknown client ${JSON.stringify(clientId)}`);
    this.name = 'UnknownTokenClientError';
  }
}

const findTokensWithGrant = CompiledQuery.raw(
  `select tokens.*, grants.grant_id as grant_found, grants.revoked_at as grant_revoked_at
  from tokens left join grants on grants.grant_id = tokens.grant_id where tokens.digest = any($1::text[])`,
);

export function batchedTokens(repo: TokensRepository, db: Kysely<Database>): TokensRepository {
  const insert = (tokens: TokenRecord[]) => db.executeQuery({ ...insertTokens, parameters: [JSON.stringify(tokens.map(tokenRow))] });
  const written = (result: QueryResult<unknown>) => Number(result.numAffectedRows ?? 0n);
  const batch = turnBatch<TokenRecord, UnknownTokenClientError | undefined>({
    // Group commit: while one INSERT commits, the tokens issued meanwhile wait and go in the next (bench/README.md).
    maxInFlight: 1,
    one: (token) =>
      insertOnce('token', async () => {
        if (written(await insert([token])) === 0) throw new UnknownTokenClientError(token.clientId);
      }).then(() => undefined),
    async run(tokens) {
      if (written(await insert(tokens)) === tokens.length) return tokens.map(() => undefined);
      // Rare: a client was missing. Its rows were not written; the others were, and are committed.
      const { rows } = await db.executeQuery<{ digest: string }>({ ...existingDigests, parameters: [tokens.map((t) => t.digest)] });
      const found = new Set(rows.map((row) => row.digest));
      return tokens.map((t) => (found.has(t.digest) ? undefined : new UnknownTokenClientError(t.clientId)));
    },
  });
  const create = (token: TokenRecord) => batch(token).then(throwIfError);
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
  async function createIfAbsent(token: TokenRecord): Promise<boolean> {
    const { rows } = await db.executeQuery<{ digest: string }>({ ...insertTokenIfAbsent, parameters: [JSON.stringify([tokenRow(token)])] });
    if (rows.length > 0) return true;
    // Nothing written: the digest exists, or the client does not.
    if ((await db.executeQuery({ ...clientExists, parameters: [token.clientId] })).rows.length === 0) throw new UnknownTokenClientError(token.clientId);
    return false;
  }
  return { ...repo, create, createIfAbsent, findWithGrant };
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
