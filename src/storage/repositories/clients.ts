import type { Kysely, Selectable } from 'kysely';
import type { ClientsTable, Database } from '../database.js';
import type { ClientMetadata, ClientRecord, ClientsRepository } from '../types.js';
import { affected, insertOnce, sharedJsonParser, toJson } from './codec.js';
import { first, prepare } from './prepared.js';

export function clientsRepository(db: Kysely<Database>): ClientsRepository {
  // Every token request reads its client: the statement is prepared once and the metadata parsed once per change.
  const parseMetadata = sharedJsonParser<ClientMetadata>();
  const toRecord = (row: Selectable<ClientsTable>): ClientRecord => ({
    clientId: row.client_id,
    clientSecretDigest: row.client_secret_digest,
    metadata: parseMetadata(row.metadata),
    createdAt: row.created_at,
  });
  const byId = prepare<{ clientId: string }, Selectable<ClientsTable>>(db, (p) =>
    db.selectFrom('clients').selectAll().where('client_id', '=', p<string>('clientId')),
  );

  return {
    async create(client) {
      await insertOnce(`client ${client.clientId}`, () =>
        db
          .insertInto('clients')
          .values({
            client_id: client.clientId,
            client_secret_digest: client.clientSecretDigest,
            metadata: toJson(client.metadata),
            created_at: client.createdAt,
          })
          .execute(),
      );
    },

    async find(clientId) {
      const row = await first(byId({ clientId }));
      return row && toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('clients').selectAll().orderBy('created_at').orderBy('client_id').execute();
      return rows.map(toRecord);
    },

    async delete(clientId) {
      // Children first, so that this holds even where foreign keys are not enforced.
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('tokens').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('authorization_codes').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('device_codes').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('grants').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('consents').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('interactions').where('client_id', '=', clientId).execute();
        return affected(await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst());
      });
    },

    async update(clientId, patch) {
      const set: { client_secret_digest?: string | null; metadata?: string } = {};
      if (patch.clientSecretDigest !== undefined) set.client_secret_digest = patch.clientSecretDigest;
      if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
      if (Object.keys(set).length === 0) {
        return (await db.selectFrom('clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst()) !== undefined;
      }
      return affected(await db.updateTable('clients').set(set).where('client_id', '=', clientId).executeTakeFirst());
    },
  };
}
