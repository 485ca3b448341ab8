import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from '../database.js';
import type { SessionRecord, SessionsRepository } from '../types.js';
import { affected, fromJson, insertOnce, toJson } from './codec.js';
import { first, prepare } from './prepared.js';

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    idDigest: row.id_digest,
    sid: row.sid,
    sub: row.sub,
    authTime: row.auth_time,
    amr: fromJson<string[]>(row.amr),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function sessionsRepository(db: Kysely<Database>): SessionsRepository {
  const live = prepare<{ idDigest: string; now: number }, Selectable<SessionsTable>>(db, (p) =>
    db.selectFrom('sessions').selectAll().where('id_digest', '=', p<string>('idDigest')).where('expires_at', '>', p<number>('now')),
  );

  return {
    async create(session) {
      await insertOnce('session', () =>
        db
          .insertInto('sessions')
          .values({
            id_digest: session.idDigest,
            sid: session.sid,
            sub: session.sub,
            auth_time: session.authTime,
            amr: toJson(session.amr),
            created_at: session.createdAt,
            expires_at: session.expiresAt,
          })
          .execute(),
      );
    },

    async find(idDigest, now) {
      const row = await first(live({ idDigest, now }));
      return row && toRecord(row);
    },

    async delete(idDigest) {
      return affected(await db.deleteFrom('sessions').where('id_digest', '=', idDigest).executeTakeFirst());
    },

    async deleteBySid(sid) {
      return affected(await db.deleteFrom('sessions').where('sid', '=', sid).executeTakeFirst());
    },

    async findBySid(sid, now) {
      const row = await db.selectFrom('sessions').selectAll().where('sid', '=', sid).where('expires_at', '>', now).executeTakeFirst();
      return row && toRecord(row);
    },

    async listBySub(sub, now) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('sub', '=', sub)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id_digest', 'desc')
        .execute();
      return rows.map(toRecord);
    },

    async deleteBySub(sub) {
      const result = await db.deleteFrom('sessions').where('sub', '=', sub).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
