import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from '../database.js';
import type { UserProfile, UserRecord, UsersRepository } from '../types.js';
import { affected, fromBool, fromJson, insertOnce, toJson } from './codec.js';
import { first, prepare } from './prepared.js';

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    sub: row.sub,
    email: row.email,
    emailVerified: fromBool(row.email_verified),
    passwordHash: row.password_hash,
    profile: fromJson<UserProfile>(row.profile),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function usersRepository(db: Kysely<Database>): UsersRepository {
  const bySub = prepare<{ sub: string }, Selectable<UsersTable>>(db, (p) => db.selectFrom('users').selectAll().where('sub', '=', p<string>('sub')));

  return {
    async create(user) {
      await insertOnce(`user ${user.sub} or email`, () =>
        db
          .insertInto('users')
          .values({
            sub: user.sub,
            email: user.email.toLowerCase(),
            email_verified: user.emailVerified,
            password_hash: user.passwordHash,
            profile: toJson(user.profile),
            created_at: user.createdAt,
            updated_at: user.updatedAt,
          })
          .execute(),
      );
    },

    async findBySub(sub) {
      const row = await first(bySub({ sub }));
      return row && toRecord(row);
    },

    async findByEmail(email) {
      const row = await db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
      return row && toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('sub').execute();
      return rows.map(toRecord);
    },

    async delete(sub) {
      // Children first, so that this holds even where foreign keys are not enforced.
      return db.transaction().execute(async (trx) => {
        const grantsOfUser = trx.selectFrom('grants').select('grant_id').where('sub', '=', sub);
        await trx.deleteFrom('tokens').where((eb) => eb.or([eb('sub', '=', sub), eb('grant_id', 'in', grantsOfUser)])).execute();
        await trx.deleteFrom('authorization_codes').where('sub', '=', sub).execute();
        await trx.deleteFrom('device_codes').where('sub', '=', sub).execute();
        await trx.deleteFrom('grants').where('sub', '=', sub).execute();
        await trx.deleteFrom('consents').where('sub', '=', sub).execute();
        await trx.deleteFrom('sessions').where('sub', '=', sub).execute();
        await trx.deleteFrom('interactions').where('sub', '=', sub).execute();
        return affected(await trx.deleteFrom('users').where('sub', '=', sub).executeTakeFirst());
      });
    },

    async update(sub, patch) {
      const query = db
        .updateTable('users')
        .set({
          updated_at: patch.updatedAt,
          ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
          ...(patch.profile !== undefined && { profile: toJson(patch.profile) }),
          ...(patch.emailVerified !== undefined && { email_verified: patch.emailVerified }),
        })
        .where('sub', '=', sub);
      return affected(await query.executeTakeFirst());
    },
  };
}
