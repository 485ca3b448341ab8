import type { Kysely } from 'kysely';

/**
 * Accounts that look after themselves (issue 13): the single-use links Latch mails to a person (verify an email
 * address, reset a password, confirm a new address), found by the digest of the token in the link, never the token.
 * A row is consumed by deleting it; an expired one is purged with the other expired rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_tokens')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('account_tokens_sub_idx').on('account_tokens').columns(['sub', 'kind']).execute();
  await db.schema.createIndex('account_tokens_expires_at_idx').on('account_tokens').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_tokens').execute();
}
