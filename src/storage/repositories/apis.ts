import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ApisTable, Database } from '../database.js';
import type { AccessTokenFormat, ApiRecord, ApisRepository } from '../types.js';
import { affected, fromJson, insertOnce, sharedJsonParser, toJson } from './codec.js';
import { first, prepare } from './prepared.js';

export function apisRepository(db: Kysely<Database>): ApisRepository {
  // Token requests for an API read it every time: prepared once, its scopes parsed once per change.
  const parseScopes = sharedJsonParser<string[]>();
  const parseDescriptions = sharedJsonParser<Record<string, string>>();
  const toRecord = (row: Selectable<ApisTable>): ApiRecord => ({
    identifier: row.identifier,
    name: row.name,
    scopes: parseScopes(row.scopes),
    tokenFormat: row.token_format as AccessTokenFormat,
    accessTokenTtl: row.access_token_ttl,
    signingAlg: row.signing_alg,
    scopeDescriptions: parseDescriptions(row.scope_descriptions),
    introspectionClients: fromJson<string[]>(row.introspection_clients),
    createdAt: row.created_at,
  });
  const byIdentifier = prepare<{ identifier: string }, Selectable<ApisTable>>(db, (p) =>
    db.selectFrom('apis').selectAll().where('identifier', '=', p<string>('identifier')),
  );

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
            introspection_clients: toJson(api.introspectionClients),
            scope_descriptions: toJson(api.scopeDescriptions),
            created_at: api.createdAt,
          })
          .execute(),
      );
    },

    async find(identifier) {
      const row = await first(byIdentifier({ identifier }));
      return row && toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('apis').selectAll().orderBy('created_at').orderBy('identifier').execute();
      return rows.map(toRecord);
    },

    async setIntrospectionClients(identifier, clientIds) {
      const query = db.updateTable('apis').set({ introspection_clients: toJson(clientIds) }).where('identifier', '=', identifier);
      return affected(await query.executeTakeFirst());
    },

    async update(identifier, patch) {
      const set: Updateable<ApisTable> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.scopes !== undefined) set.scopes = toJson(patch.scopes);
      if (patch.tokenFormat !== undefined) set.token_format = patch.tokenFormat;
      if (patch.accessTokenTtl !== undefined) set.access_token_ttl = patch.accessTokenTtl;
      if (patch.signingAlg !== undefined) set.signing_alg = patch.signingAlg;
      if (patch.scopeDescriptions !== undefined) set.scope_descriptions = toJson(patch.scopeDescriptions);
      if (patch.introspectionClients !== undefined) set.introspection_clients = toJson(patch.introspectionClients);
      if (Object.keys(set).length === 0) {
        return (await db.selectFrom('apis').select('identifier').where('identifier', '=', identifier).executeTakeFirst()) !== undefined;
      }
      return affected(await db.updateTable('apis').set(set).where('identifier', '=', identifier).executeTakeFirst());
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
