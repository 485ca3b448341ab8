import type { Kysely } from 'kysely';

/**
 * RFC 9126 pushed authorization requests: the validated parameters a client pushed to /par, found by the digest of
 * the random part of the request_uri it was given, never the request_uri. Consumed by deleting the row (single use);
 * an expired one is purged with the other expired rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pushed_authorization_requests')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pushed_authorization_requests_client_idx').on('pushed_authorization_requests').column('client_id').execute();
  await db.schema.createIndex('pushed_authorization_requests_expires_at_idx').on('pushed_authorization_requests').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pushed_authorization_requests').execute();
}
