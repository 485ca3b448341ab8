import { sql, type Kysely } from 'kysely';

/** RFC 8628 device authorization requests, keyed by the digest of the device code; user code digests are unique. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('device_codes')
    .addColumn('device_code_digest', 'text', (c) => c.primaryKey())
    .addColumn('user_code_digest', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('sub', 'text', (c) => c.references('users.sub').onDelete('cascade'))
    .addColumn('sid', 'text')
    .addColumn('auth_time', 'integer')
    .addColumn('poll_interval', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'integer')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('decided_at', 'integer')
    .addColumn('consumed_at', 'integer')
    .modifyEnd(sql`strict`)
    .execute();
  for (const column of ['client_id', 'sub', 'expires_at']) {
    await db.schema.createIndex(`device_codes_${column}_idx`).on('device_codes').column(column).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('device_codes').execute();
}
