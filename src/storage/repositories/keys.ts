import type { Kysely, Selectable } from 'kysely';
import type { JWK } from 'jose';
import type { Database, SigningKeysTable } from '../database.js';
import type { KeyRecord, KeyState, KeysRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';

function toRecord(row: Selectable<SigningKeysTable>): KeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state as KeyState,
    publicJwk: fromJson<JWK>(row.public_jwk),
    privateJwkEncrypted: row.private_jwk_encrypted,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
  };
}

export function keysRepository(db: Kysely<Database>): KeysRepository {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
      return rows.map(toRecord);
    },

    async create(key) {
      await insertOnce(`key ${key.kid}`, () =>
        db
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            public_jwk: toJson(key.publicJwk),
            private_jwk_encrypted: key.privateJwkEncrypted,
            created_at: key.createdAt,
            activated_at: key.activatedAt,
            retired_at: key.retiredAt,
          })
          .execute(),
      );
    },

    async setState(kid, state, now) {
      // Moving into `active` or `retired` stamps the time of that move.
      const result = await db
        .updateTable('signing_keys')
        .set({
          state,
          ...(state === 'active' && { activated_at: now }),
          ...(state === 'retired' && { retired_at: now }),
        })
        .where('kid', '=', kid)
        .executeTakeFirst();
      return affected(result);
    },

    async delete(kid) {
      return affected(await db.deleteFrom('signing_keys').where('kid', '=', kid).executeTakeFirst());
    },
  };
}
