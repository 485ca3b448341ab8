import type { Kysely, Selectable } from 'kysely';
import type { Database, PushedAuthorizationRequestsTable } from '../database.js';
import type { PushedRequestRecord, PushedRequestsRepository } from '../types.js';
import { fromJson, insertOnce, toJson } from './codec.js';

function toRecord(row: Selectable<PushedAuthorizationRequestsTable>): PushedRequestRecord {
  return {
    digest: row.digest,
    clientId: row.client_id,
    params: fromJson<Record<string, string>>(row.params),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function pushedRequestsRepository(db: Kysely<Database>): PushedRequestsRepository {
  return {
    async create(record) {
      await insertOnce('pushed authorization request', () =>
        db
          .insertInto('pushed_authorization_requests')
          .values({
            digest: record.digest,
            client_id: record.clientId,
            params: toJson(record.params),
            created_at: record.createdAt,
            expires_at: record.expiresAt,
          })
          .execute(),
      );
    },

    async consume(digest, clientId, now) {
      // One statement: of concurrent uses exactly one deletes (and gets) the row; another client's or a late use
      // matches no row and deletes nothing.
      const row = await db
        .deleteFrom('pushed_authorization_requests')
        .where('digest', '=', digest)
        .where('client_id', '=', clientId)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row && toRecord(row);
    },
  };
}
