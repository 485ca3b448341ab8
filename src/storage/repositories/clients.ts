import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { ClientsTable, Database, Dialect } from '../database.js';
import type { ClientMetadata, ClientRecord, ClientsRepository } from '../types.js';
import { affected, insertOnce, sharedJsonParser, toJson } from './codec.js';
import { afterKey, containsText, jsonText, pageList, searchText } from './page.js';
import { first, prepare } from './prepared.js';

export function clientsRepository(db: Kysely<Database>, dialect: Dialect): ClientsRepository {
  // Every token request reads its client: the statement is prepared once and the metadata parsed once per change.
  const parseMetadata = sharedJsonParser<ClientMetadata>();
  const toRecord = (row: Selectable<ClientsTable>): ClientRecord => ({
    clientId: row.client_id,
    clientSecretDigest: row.client_secret_digest,
    previousSecret:
      row.previous_secret_digest !== null && row.previous_secret_expires_at !== null
        ? { digest: row.previous_secret_digest, expiresAt: row.previous_secret_expires_at }
        : null,
    metadata: parseMetadata(row.metadata),
    createdAt: row.created_at,
  });
  const byId = prepare<{ clientId: string }, Selectable<ClientsTable>>(db, (p) =>
    db.selectFrom('clients').selectAll().where('client_id', '=', p<string>('clientId')),
  );
  const pages = pageList<Selectable<ClientsTable>>('clients', (row) => ({ at: row.created_at, id: row.client_id }));

  return {
    async create(client) {
      await insertOnce(`client ${client.clientId}`, () =>
        db
          .insertInto('clients')
          .values({
            client_id: client.clientId,
            client_secret_digest: client.clientSecretDigest,
            previous_secret_digest: client.previousSecret?.digest ?? null,
            previous_secret_expires_at: client.previousSecret?.expiresAt ?? null,
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

    async page(query) {
      const { fetch, after } = pages.start(query);
      const q = searchText(query);
      let select = db.selectFrom('clients').selectAll();
      if (after !== undefined) select = select.where(afterKey('created_at', 'client_id', after, 'asc'));
      if (q !== undefined) select = select.where(containsText(dialect, [sql.ref('client_id'), jsonText(dialect, 'metadata', 'client_name')], q));
      const rows = await select.orderBy('created_at').orderBy('client_id').limit(fetch).execute();
      return pages.finish(rows, query, toRecord);
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
        await trx.deleteFrom('pushed_authorization_requests').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('client_registrations').where('client_id', '=', clientId).execute();
        const deleted = affected(await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst());
        // Again, after the client: a token INSERT that locked the client before this deletion did has committed by now
        // (the DELETE waited for its lock), and this statement sees it. On PostgreSQL no foreign key does this
        // (postgres/migrations/023).
        await trx.deleteFrom('tokens').where('client_id', '=', clientId).execute();
        return deleted;
      });
    },

    async update(clientId, patch) {
      const set: Updateable<ClientsTable> = {};
      if (patch.clientSecretDigest !== undefined) set.client_secret_digest = patch.clientSecretDigest;
      if (patch.previousSecret !== undefined) {
        set.previous_secret_digest = patch.previousSecret?.digest ?? null;
        set.previous_secret_expires_at = patch.previousSecret?.expiresAt ?? null;
      }
      if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
      if (Object.keys(set).length === 0) {
        return (await db.selectFrom('clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst()) !== undefined;
      }
      return affected(await db.updateTable('clients').set(set).where('client_id', '=', clientId).executeTakeFirst());
    },
  };
}
