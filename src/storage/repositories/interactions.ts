import type { Kysely, Selectable } from 'kysely';
import type { Database, InteractionsTable } from '../database.js';
import type { InteractionRecord, InteractionsRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';

function toRecord(row: Selectable<InteractionsTable>): InteractionRecord {
  return {
    idDigest: row.id_digest,
    clientId: row.client_id,
    kind: row.kind === 'device' ? 'device' : 'authorize',
    request: fromJson<InteractionRecord['request']>(row.request),
    deviceCodeDigest: row.device_code_digest,
    result: fromJson<InteractionRecord['result']>(row.result),
    browserDigest: row.browser_digest,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function interactionsRepository(db: Kysely<Database>): InteractionsRepository {
  return {
    async create(interaction) {
      await insertOnce('interaction', () =>
        db
          .insertInto('interactions')
          .values({
            id_digest: interaction.idDigest,
            client_id: interaction.clientId,
            sub: interaction.result.sub ?? null,
            kind: interaction.kind,
            request: toJson(interaction.request),
            device_code_digest: interaction.deviceCodeDigest,
            result: toJson(interaction.result),
            browser_digest: interaction.browserDigest,
            created_at: interaction.createdAt,
            expires_at: interaction.expiresAt,
          })
          .execute(),
      );
    },

    async find(idDigest, now) {
      const row = await db
        .selectFrom('interactions')
        .selectAll()
        .where('id_digest', '=', idDigest)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async updateResult(idDigest, result) {
      const query = db
        .updateTable('interactions')
        .set({ result: toJson(result), sub: result.sub ?? null })
        .where('id_digest', '=', idDigest);
      return affected(await query.executeTakeFirst());
    },

    async rebindBrowser(oldDigest, newDigest, now) {
      const result = await db
        .updateTable('interactions')
        .set({ browser_digest: newDigest })
        .where('browser_digest', '=', oldDigest)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async delete(idDigest) {
      return affected(await db.deleteFrom('interactions').where('id_digest', '=', idDigest).executeTakeFirst());
    },
  };
}
