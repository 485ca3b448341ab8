import type { Kysely, Selectable } from 'kysely';
import type { ConsentsTable, Database } from '../database.js';
import type { ConsentRecord, ConsentsRepository } from '../types.js';
import { affected, fromJson, toJson } from './codec.js';
import { first, prepare } from './prepared.js';

function toRecord(row: Selectable<ConsentsTable>): ConsentRecord {
  return {
    sub: row.sub,
    clientId: row.client_id,
    scopes: fromJson<string[]>(row.scopes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function consentsRepository(db: Kysely<Database>): ConsentsRepository {
  const byKey = prepare<{ sub: string; clientId: string }, Selectable<ConsentsTable>>(db, (p) =>
    db.selectFrom('consents').selectAll().where('sub', '=', p<string>('sub')).where('client_id', '=', p<string>('clientId')),
  );

  return {
    async find(sub, clientId) {
      const row = await first(byKey({ sub, clientId }));
      return row && toRecord(row);
    },

    async upsert(consent) {
      const scopes = toJson([...new Set(consent.scopes)].sort());
      await db
        .insertInto('consents')
        .values({
          sub: consent.sub,
          client_id: consent.clientId,
          scopes,
          created_at: consent.createdAt,
          updated_at: consent.updatedAt,
        })
        .onConflict((oc) => oc.columns(['sub', 'client_id']).doUpdateSet({ scopes, updated_at: consent.updatedAt }))
        .execute();
    },

    async delete(sub, clientId) {
      const result = await db.deleteFrom('consents').where('sub', '=', sub).where('client_id', '=', clientId).executeTakeFirst();
      return affected(result);
    },
  };
}
