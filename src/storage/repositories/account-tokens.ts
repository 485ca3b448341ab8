import type { Kysely, Selectable } from 'kysely';
import type { AccountTokensTable, Database } from '../database.js';
import type { AccountTokenKind, AccountTokenRecord, AccountTokensRepository } from '../types.js';
import { insertOnce } from './codec.js';

const kinds: readonly AccountTokenKind[] = ['verify_email', 'reset_password', 'change_email'];

function toRecord(row: Selectable<AccountTokensTable>): AccountTokenRecord | undefined {
  const kind = kinds.find((k) => k === row.kind);
  if (!kind) return undefined;
  return { digest: row.digest, kind, sub: row.sub, email: row.email, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
}

export function accountTokensRepository(db: Kysely<Database>): AccountTokensRepository {
  return {
    async create(token) {
      await insertOnce('account token', () =>
        db
          .insertInto('account_tokens')
          .values({ digest: token.digest, kind: token.kind, sub: token.sub, email: token.email, created_at: token.createdAt, expires_at: token.expiresAt })
          .execute(),
      );
    },

    async consume(digest, kind, now) {
      // One statement: of concurrent uses of the same link, exactly one deletes (and gets) the row.
      const row = await db.deleteFrom('account_tokens').where('digest', '=', digest).where('kind', '=', kind).returningAll().executeTakeFirst();
      if (!row || Number(row.expires_at) <= now) return undefined;
      return toRecord(row);
    },

    async find(digest, kind, now) {
      const row = await db.selectFrom('account_tokens').selectAll().where('digest', '=', digest).where('kind', '=', kind).where('expires_at', '>', now).executeTakeFirst();
      return row && toRecord(row);
    },

    async deleteBySub(sub, kind) {
      const result = await db.deleteFrom('account_tokens').where('sub', '=', sub).where('kind', '=', kind).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
