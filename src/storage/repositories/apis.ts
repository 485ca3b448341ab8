import type { Kysely, Selectable } from 'kysely';
import type { ApisTable, Database } from '../database.js';
import type { AccessTokenFormat, ApiRecord, ApisRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';

function toRecord(row: Selectable<ApisTable>): ApiRecord {
  return {
    identifier: row.identifier,
    name: row.name,
    scopes: fromJson<string[]>(row.scopes),
    tokenFormat: row.token_format as AccessTokenFormat,
    accessTokenTtl: row.access_token_ttl,
    signingAlg: row.signing_alg,
    createdAt: row.created_at,
  };
}

export function apisRepository(db: Kysely<Database>): ApisRepository {
  return {
    async create(api) {
      await insertOnce(`API ${api.identifier}`, () =>
        db
          .insertInto('apis')
          .values({
            identifier: api.identifier,
            name: api.name,
            scopes: toJson(api.scopes),
            token_format: api.tokenFormat,
            access_token_ttl: api.accessTokenTtl,
            signing_alg: api.signingAlg,
            created_at: api.createdAt,
          })
          .execute(),
      );
    },

    async find(identifier) {
      const row = await db.selectFrom('apis').selectAll().where('identifier', '=', identifier).executeTakeFirst();
      return row && toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('apis').selectAll().orderBy('created_at').orderBy('identifier').execute();
      return rows.map(toRecord);
    },

    async delete(identifier, now) {
      // Tokens for the API stop being accepted at introspection; JWTs stay verifiable until they expire.
      return db.transaction().execute(async (trx) => {
        const deleted = affected(await trx.deleteFrom('apis').where('identifier', '=', identifier).executeTakeFirst());
        if (!deleted) return false;
        await trx
          .updateTable('tokens')
          .set({ revoked_at: now })
          .where('audience', '=', identifier)
          .where('revoked_at', 'is', null)
          .execute();
        return true;
      });
    },
  };
}
