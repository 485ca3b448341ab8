import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodesTable, Database } from '../database.js';
import type { AuthorizationCodeRecord, AuthorizationCodesRepository } from '../types.js';
import { fromJson, insertOnce, toJson } from './codec.js';
import { first, prepare, prepareInsert } from './prepared.js';

function toRecord(row: Selectable<AuthorizationCodesTable>): AuthorizationCodeRecord {
  return {
    codeDigest: row.code_digest,
    grantId: row.grant_id,
    clientId: row.client_id,
    sub: row.sub,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthorizationCodeRecord['codeChallengeMethod'],
    authTime: row.auth_time,
    sid: row.sid,
    data: fromJson<Record<string, unknown>>(row.data),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    ...(row.dpop_jkt !== null && { dpopJkt: row.dpop_jkt }),
  };
}

export function authorizationCodesRepository(db: Kysely<Database>): AuthorizationCodesRepository {
  const insert = prepareInsert(db, 'authorization_codes', [
    'code_digest',
    'grant_id',
    'client_id',
    'sub',
    'redirect_uri',
    'scope',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'auth_time',
    'sid',
    'data',
    'created_at',
    'expires_at',
    'consumed_at',
    'dpop_jkt',
  ]);
  const byDigest = prepare<{ codeDigest: string; clientId: string }, Selectable<AuthorizationCodesTable>>(db, (p) =>
    db
      .selectFrom('authorization_codes')
      .selectAll()
      .where('code_digest', '=', p<string>('codeDigest'))
      .where('client_id', '=', p<string>('clientId')),
  );
  // RFC 6749 §4.1.3: only the client the code was issued to may redeem it; the client is part of the statement, so
  // that another client's attempt changes nothing.
  const consumeOnce = prepare<{ codeDigest: string; clientId: string; dpopJkt: string | null; now: number }, Selectable<AuthorizationCodesTable>>(db, (p) =>
    db
      .updateTable('authorization_codes')
      .set({ consumed_at: p('now') })
      .where('code_digest', '=', p<string>('codeDigest'))
      .where('client_id', '=', p<string>('clientId'))
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', p<number>('now'))
      // RFC 9449 §10: a code bound with dpop_jkt is redeemed only with a proof of that key; a refusal changes nothing.
      .where((eb) => eb.or([eb('dpop_jkt', 'is', null), eb('dpop_jkt', '=', p<string | null>('dpopJkt'))]))
      .returningAll(),
  );

  return {
    async create(code) {
      await insertOnce('authorization code', () =>
        insert({
          code_digest: code.codeDigest,
          grant_id: code.grantId,
          client_id: code.clientId,
          sub: code.sub,
          redirect_uri: code.redirectUri,
          scope: code.scope,
          nonce: code.nonce,
          code_challenge: code.codeChallenge,
          code_challenge_method: code.codeChallengeMethod,
          auth_time: code.authTime,
          sid: code.sid,
          data: toJson(code.data),
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          consumed_at: code.consumedAt,
          dpop_jkt: code.dpopJkt ?? null,
        }),
      );
    },

    async consume(codeDigest, expected, now) {
      // RFC 6749 §4.1.2: a code is used once. The conditional UPDATE lets exactly one caller win.
      const { clientId } = expected;
      const consumed = await first(consumeOnce({ codeDigest, clientId, dpopJkt: expected.dpopJkt ?? null, now }));
      if (consumed) return { record: toRecord(consumed), firstUse: true };
      const row = await first(byDigest({ codeDigest, clientId }));
      return row && { record: toRecord(row), firstUse: false };
    },
  };
}
