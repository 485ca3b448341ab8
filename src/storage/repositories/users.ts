import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, Dialect, UsersTable } from '../database.js';
import { StorageConflictError, type UserProfile, type UserRecord, type UsersRepository } from '../types.js';
import { affected, fromBool, fromJson, insertOnce, isUniqueViolation, toJson } from './codec.js';
import { afterKey, containsText, jsonText, pageList, searchText } from './page.js';
import { first, prepare } from './prepared.js';

/** Roles are kept sorted and without repeats, whatever order they are given in. */
function rolesJson(roles: readonly string[]): string {
  return toJson([...new Set(roles)].sort());
}

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    sub: row.sub,
    email: row.email,
    emailVerified: fromBool(row.email_verified),
    verificationRequired: fromBool(row.verification_required),
    passwordHash: row.password_hash,
    profile: fromJson<UserProfile>(row.profile),
    roles: fromJson<string[]>(row.roles),
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function usersRepository(db: Kysely<Database>, dialect: Dialect): UsersRepository {
  const bySub = prepare<{ sub: string }, Selectable<UsersTable>>(db, (p) => db.selectFrom('users').selectAll().where('sub', '=', p<string>('sub')));
  const pages = pageList<Selectable<UsersTable>>('users', (row) => ({ at: row.created_at, id: row.sub }));
  // JSON array membership: SQLite walks the array, PostgreSQL asks jsonb containment.
  const hasRole = (role: string) =>
    dialect === 'postgres'
      ? sql<boolean>`${sql.ref('roles')} @> cast(${toJson([role])} as jsonb)`
      : sql<boolean>`exists (select 1 from json_each(${sql.ref('users.roles')}) where json_each.value = ${role})`;

  return {
    async create(user) {
      await insertOnce(`user ${user.sub} or email`, () =>
        db
          .insertInto('users')
          .values({
            sub: user.sub,
            email: user.email.toLowerCase(),
            email_verified: user.emailVerified,
            verification_required: user.verificationRequired ?? false,
            password_hash: user.passwordHash,
            profile: toJson(user.profile),
            roles: rolesJson(user.roles),
            disabled_at: user.disabledAt,
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

    async page(query) {
      const { fetch, after } = pages.start(query);
      const q = searchText(query);
      let select = db.selectFrom('users').selectAll();
      if (after !== undefined) select = select.where(afterKey('created_at', 'sub', after, 'asc'));
      if (q !== undefined) select = select.where(containsText(dialect, [sql.ref('email'), sql.ref('sub'), jsonText(dialect, 'profile', 'name')], q));
      const rows = await select.orderBy('created_at').orderBy('sub').limit(fetch).execute();
      return pages.finish(rows, query, toRecord);
    },

    async countWithRole(role) {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
        .where('disabled_at', 'is', null)
        .where(hasRole(role))
        .executeTakeFirstOrThrow();
      return Number(row.count);
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
        await trx.deleteFrom('user_identities').where('sub', '=', sub).execute();
        return affected(await trx.deleteFrom('users').where('sub', '=', sub).executeTakeFirst());
      });
    },

    async replacePasswordHash(sub, current, next) {
      const result = await db.updateTable('users').set({ password_hash: next }).where('sub', '=', sub).where('password_hash', '=', current).executeTakeFirst();
      return affected(result);
    },

    async update(sub, patch) {
      const query = db
        .updateTable('users')
        .set({
          updated_at: patch.updatedAt,
          ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
          ...(patch.profile !== undefined && { profile: toJson(patch.profile) }),
          ...(patch.emailVerified !== undefined && { email_verified: patch.emailVerified }),
          ...(patch.email !== undefined && { email: patch.email.toLowerCase() }),
          ...(patch.roles !== undefined && { roles: rolesJson(patch.roles) }),
          ...(patch.disabledAt !== undefined && { disabled_at: patch.disabledAt }),
        })
        .where('sub', '=', sub);
      try {
        return affected(await query.executeTakeFirst());
      } catch (error) {
        if (isUniqueViolation(error)) throw new StorageConflictError('email belongs to another user');
        throw error;
      }
    },
  };
}
