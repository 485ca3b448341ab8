import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import type { TokenKind, TokenRecord, TokensRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';
import { first, prepare, prepareInsert } from './prepared.js';

const columns = [
  'digest',
  'kind',
  'grant_id',
  'client_id',
  'sub',
  'scope',
  'audience',
  'data',
  'created_at',
  'expires_at',
  'consumed_at',
  'revoked_at',
  'jkt',
] as const;

type ReuseRow = Selectable<TokensTable> & {
  successor_found: string | null;
  successor_consumed_at: number | null;
  successor_revoked_at: number | null;
  grant_found: string | null;
  grant_revoked_at: number | null;
};

/** The row of a token. */
export function toRow(token: TokenRecord): Insertable<TokensTable> {
  return {
    digest: token.digest,
    kind: token.kind,
    grant_id: token.grantId,
    client_id: token.clientId,
    sub: token.sub,
    scope: token.scope,
    audience: token.audience,
    data: toJson(token.data),
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    consumed_at: token.consumedAt,
    revoked_at: token.revokedAt,
    jkt: token.jkt ?? null,
  };
}

export function toRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    digest: row.digest,
    kind: row.kind as TokenKind,
    grantId: row.grant_id,
    clientId: row.client_id,
    sub: row.sub,
    scope: row.scope,
    audience: row.audience,
    data: fromJson<Record<string, unknown>>(row.data),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    revokedAt: row.revoked_at,
    ...(row.jkt !== null && { jkt: row.jkt }),
  };
}

/** A token read with its grant: revoked when its grant is gone or revoked. */
export function withGrantState(row: Selectable<TokensTable> & { grant_found: string | null; grant_revoked_at: number | null }) {
  return { token: toRecord(row), grantRevoked: row.grant_id !== null && (row.grant_found === null || row.grant_revoked_at !== null) };
}

export function tokensRepository(db: Kysely<Database>): TokensRepository {
  const insert = prepareInsert(db, 'tokens', columns);
  const byDigest = prepare<{ digest: string }, Selectable<TokensTable>>(db, (p) =>
    db.selectFrom('tokens').selectAll().where('digest', '=', p<string>('digest')),
  );
  const byDigestWithGrant = prepare<{ digest: string }, Selectable<TokensTable> & { grant_found: string | null; grant_revoked_at: number | null }>(
    db,
    (p) =>
      db
        .selectFrom('tokens')
        .leftJoin('grants', 'grants.grant_id', 'tokens.grant_id')
        .selectAll('tokens')
        .select(['grants.grant_id as grant_found', 'grants.revoked_at as grant_revoked_at'])
        .where('tokens.digest', '=', p<string>('digest')),
  );
  const insertIfAbsent = prepare<Record<string, unknown>, { digest: string }>(db, (p) =>
    db
      .insertInto('tokens')
      // Kysely cannot type a row whose columns are only known as a list; the repository method is typed instead.
      .values(Object.fromEntries(columns.map((column) => [column, p(column)])) as never)
      .onConflict((oc) => oc.column('digest').doNothing())
      .returning('digest'),
  );
  // RFC 6749 §6 / RFC 9700 §4.14.2: only the client the refresh token was issued to may rotate it, once, while it and
  // its grant are valid. Kind and client are part of the statement, so that another client's attempt changes nothing.
  const consumeOnce = prepare<{ digest: string; kind: string; clientId: string; successor: string | null; jkt: string | null; now: number }, Selectable<TokensTable>>(
    db,
    (p) =>
      db
        .updateTable('tokens')
        .set({ consumed_at: p('now'), successor_digest: p('successor') })
        .where('digest', '=', p<string>('digest'))
        .where('kind', '=', p<string>('kind'))
        .where('client_id', '=', p<string>('clientId'))
        .where('consumed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', p<number>('now'))
        // RFC 9449 §5: a refresh token bound to a DPoP key is rotated only with a proof of that key.
        .where((eb) => eb.or([eb('jkt', 'is', null), eb('jkt', '=', p<string | null>('jkt'))]))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('grants')
                .select('grants.grant_id')
                .whereRef('grants.grant_id', '=', 'tokens.grant_id')
                .where('grants.revoked_at', 'is not', null),
            ),
          ),
        )
        .returningAll(),
  );
  /** What a call that did not consume needs: the token, its successor's state and its grant's state, in one query. */
  const reuseState = prepare<{ digest: string; kind: string; clientId: string }, ReuseRow>(db, (p) =>
    db
      .selectFrom('tokens as t')
      .leftJoin('tokens as s', 's.digest', 't.successor_digest')
      .leftJoin('grants as g', 'g.grant_id', 't.grant_id')
      .selectAll('t')
      .select([
        's.digest as successor_found',
        's.consumed_at as successor_consumed_at',
        's.revoked_at as successor_revoked_at',
        'g.grant_id as grant_found',
        'g.revoked_at as grant_revoked_at',
      ])
      .where('t.digest', '=', p<string>('digest'))
      .where('t.kind', '=', p<string>('kind'))
      .where('t.client_id', '=', p<string>('clientId')),
  );

  return {
    create(token) {
      return insertOnce('token', () => insert(toRow(token)));
    },

    async find(digest) {
      const row = await first(byDigest({ digest }));
      return row && toRecord(row);
    },

    async findWithGrant(digest) {
      const row = await first(byDigestWithGrant({ digest }));
      return row && withGrantState(row);
    },

    async consume(digest, expected, now) {
      const { kind, clientId } = expected;
      const consumed = await first(consumeOnce({ digest, kind, clientId, successor: expected.successorDigest ?? null, jkt: expected.jkt ?? null, now }));
      if (consumed) {
        return { record: toRecord(consumed), firstUse: true, successorDigest: consumed.successor_digest, successor: null, grantRevoked: false };
      }
      const row = await first(reuseState({ digest, kind, clientId }));
      if (!row) return undefined;
      return {
        record: toRecord(row),
        firstUse: false,
        successorDigest: row.successor_digest,
        successor: row.successor_found === null ? null : { consumedAt: row.successor_consumed_at, revokedAt: row.successor_revoked_at },
        grantRevoked: row.grant_id !== null && (row.grant_found === null || row.grant_revoked_at !== null),
      };
    },

    async createIfAbsent(token) {
      const result = await insertIfAbsent(toRow(token) as Record<string, unknown>);
      return result.rows.length > 0;
    },

    async revoke(digest, now) {
      // Revoking twice keeps the first revocation time.
      const result = await db
        .updateTable('tokens')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)) }))
        .where('digest', '=', digest)
        .executeTakeFirst();
      return affected(result);
    },
  };
}
