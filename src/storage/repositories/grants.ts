import type { Kysely, Selectable } from 'kysely';
import type { Database, GrantsTable } from '../database.js';
import type { GrantRecord, GrantsRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';
import { afterKey, pageList } from './page.js';
import { first, prepare, prepareInsert } from './prepared.js';

function toRecord(row: Selectable<GrantsTable>): GrantRecord {
  return {
    grantId: row.grant_id,
    clientId: row.client_id,
    sub: row.sub,
    scope: row.scope,
    sid: row.sid,
    authTime: row.auth_time,
    amr: row.amr === null ? null : fromJson<string[]>(row.amr),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export function grantsRepository(db: Kysely<Database>): GrantsRepository {
  const insert = prepareInsert(db, 'grants', ['grant_id', 'client_id', 'sub', 'scope', 'sid', 'auth_time', 'amr', 'created_at', 'revoked_at']);
  const byId = prepare<{ grantId: string }, Selectable<GrantsTable>>(db, (p) =>
    db.selectFrom('grants').selectAll().where('grant_id', '=', p<string>('grantId')),
  );
  const pages = pageList<Selectable<GrantsTable>>('grants', (row) => ({ at: row.created_at, id: row.grant_id }));

  return {
    async create(grant) {
      await insertOnce(`grant ${grant.grantId}`, () =>
        insert({
          grant_id: grant.grantId,
          client_id: grant.clientId,
          sub: grant.sub,
          scope: grant.scope,
          sid: grant.sid,
          auth_time: grant.authTime,
          amr: grant.amr === null ? null : toJson(grant.amr),
          created_at: grant.createdAt,
          revoked_at: grant.revokedAt,
        }),
      );
    },

    async find(grantId) {
      const row = await first(byId({ grantId }));
      return row && toRecord(row);
    },

    async revoke(grantId, now) {
      // Revoking twice keeps the first revocation time; tokens issued since are revoked too.
      return db.transaction().execute(async (trx) => {
        const grant = await trx
          .updateTable('grants')
          .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)) }))
          .where('grant_id', '=', grantId)
          .executeTakeFirst();
        if (!affected(grant)) return false;
        await trx
          .updateTable('tokens')
          .set({ revoked_at: now })
          .where('grant_id', '=', grantId)
          .where('revoked_at', 'is', null)
          .execute();
        return true;
      });
    },

    async listBySub(sub) {
      const rows = await db
        .selectFrom('grants')
        .selectAll()
        .where('sub', '=', sub)
        .orderBy('created_at')
        .orderBy('grant_id')
        .execute();
      return rows.map(toRecord);
    },

    async page(filter, query) {
      const { fetch, after } = pages.start(query);
      let select = db.selectFrom('grants').selectAll();
      if (filter.sub !== undefined) select = select.where('sub', '=', filter.sub);
      if (filter.clientId !== undefined) select = select.where('client_id', '=', filter.clientId);
      if (after !== undefined) select = select.where(afterKey('created_at', 'grant_id', after, 'desc'));
      const rows = await select.orderBy('created_at', 'desc').orderBy('grant_id', 'desc').limit(fetch).execute();
      return pages.finish(rows, query, toRecord);
    },

    async revokeBySub(sub, now) {
      return db.transaction().execute(async (trx) => {
        const live = trx.selectFrom('grants').select('grant_id').where('sub', '=', sub).where('revoked_at', 'is', null);
        await trx.updateTable('tokens').set({ revoked_at: now }).where('grant_id', 'in', live).where('revoked_at', 'is', null).execute();
        const revoked = await trx.updateTable('grants').set({ revoked_at: now }).where('sub', '=', sub).where('revoked_at', 'is', null).executeTakeFirst();
        return Number(revoked.numUpdatedRows);
      });
    },
  };
}
