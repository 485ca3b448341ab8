import type { Kysely, Selectable } from 'kysely';
import type { Database, RegistrationTokensTable } from '../database.js';
import type { ClientRegistrationsRepository, RegistrationTokenRecord, RegistrationTokensRepository } from '../types.js';
import { insertOnce } from './codec.js';

function toRecord(row: Selectable<RegistrationTokensTable>): RegistrationTokenRecord {
  return {
    id: row.id,
    digest: row.digest,
    usesLeft: row.uses_left === null ? null : Number(row.uses_left),
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

export function registrationTokensRepository(db: Kysely<Database>): RegistrationTokensRepository {
  return {
    async create(token) {
      await insertOnce('registration token', () =>
        db
          .insertInto('registration_tokens')
          .values({ id: token.id, digest: token.digest, uses_left: token.usesLeft, created_at: token.createdAt, expires_at: token.expiresAt })
          .execute(),
      );
    },

    async find(digest, now) {
      const row = await db
        .selectFrom('registration_tokens')
        .selectAll()
        .where('digest', '=', digest)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('uses_left', 'is', null), eb('uses_left', '>', 0)]))
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async use(digest, now) {
      // One statement: the count goes down only while a use is left, so concurrent uses never take more than there are.
      const result = await db
        .updateTable('registration_tokens')
        .set((eb) => ({ uses_left: eb('uses_left', '-', 1) }))
        .where('digest', '=', digest)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('uses_left', 'is', null), eb('uses_left', '>', 0)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async list() {
      const rows = await db.selectFrom('registration_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toRecord);
    },

    async revoke(id) {
      const result = await db.deleteFrom('registration_tokens').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}

export function clientRegistrationsRepository(db: Kysely<Database>): ClientRegistrationsRepository {
  return {
    async set(clientId, tokenDigest, now) {
      await db
        .insertInto('client_registrations')
        .values({ client_id: clientId, token_digest: tokenDigest, updated_at: now })
        .onConflict((oc) => oc.column('client_id').doUpdateSet({ token_digest: tokenDigest, updated_at: now }))
        .execute();
    },

    async findClientId(tokenDigest) {
      const row = await db.selectFrom('client_registrations').select('client_id').where('token_digest', '=', tokenDigest).executeTakeFirst();
      return row?.client_id;
    },

    async rotate(clientId, current, next, now) {
      const result = await db
        .updateTable('client_registrations')
        .set({ token_digest: next, updated_at: now })
        .where('client_id', '=', clientId)
        .where('token_digest', '=', current)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
