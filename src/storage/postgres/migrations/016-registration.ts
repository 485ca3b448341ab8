import type { Kysely } from 'kysely';

/**
 * Dynamic client registration (issue 15, RFC 7591 / RFC 7592): the initial access tokens an operator gives out
 * (`latch registration-tokens create`), with the uses left counted down in one statement, and the registration access
 * token of each registered client. Both are found by the digest of the token, never the token.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registration_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('uses_left', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  // Expired tokens are deleted by the periodic purge, found through this index.
  await db.schema.createIndex('registration_tokens_expires_at_idx').on('registration_tokens').column('expires_at').execute();
  await db.schema
    .createTable('client_registrations')
    .addColumn('client_id', 'text', (c) => c.primaryKey().references('clients.client_id').onDelete('cascade'))
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('client_registrations').execute();
  await db.schema.dropTable('registration_tokens').execute();
}
