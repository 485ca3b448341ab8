import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from '../database.js';
import type { TokenKind, TokenRecord, TokensRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';
import { first, prepare, prepareInsert } from './prepared.js';

function toRecord(row: Selectable<TokensTable>): TokenRecord {
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
  };
}

export function tokensRepository(db: Kysely<Database>): TokensRepository {
  const insert = prepareInsert(db, 'tokens', [
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
  ]);
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
  const consumeOnce = prepare<{ digest: string; now: number }, Selectable<TokensTable>>(db, (p) =>
    db.updateTable('tokens').set({ consumed_at: p('now') }).where('digest', '=', p<string>('digest')).where('consumed_at', 'is', null).returningAll(),
  );

  return {
    create(token) {
      return insertOnce('token', () =>
        insert({
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
        }),
      );
    },

    async find(digest) {
      const row = await first(byDigest({ digest }));
      return row && toRecord(row);
    },

    async findWithGrant(digest) {
      const row = await first(byDigestWithGrant({ digest }));
      if (!row) return undefined;
      return { token: toRecord(row), grantRevoked: row.grant_id !== null && (row.grant_found === null || row.grant_revoked_at !== null) };
    },

    async consume(digest, now) {
      // RFC 9700 §4.14.2: a rotated refresh token is used once. The conditional UPDATE lets exactly one caller win.
      const consumed = await first(consumeOnce({ digest, now }));
      if (consumed) return { record: toRecord(consumed), firstUse: true };
      const row = await first(byDigest({ digest }));
      return row && { record: toRecord(row), firstUse: false };
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
