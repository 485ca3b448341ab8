import { sql, type Kysely } from 'kysely';

/**
 * What operators manage (issue 12): a user's roles and when they were disabled, a client's previous secret during a
 * rotation's grace period, an API's scope descriptions, the audit trail (events) and settings (branding, the
 * first-admin setup link). Existing rows get no roles, no previous secret and no scope descriptions.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('roles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('disabled_at', 'bigint')
    .execute();
  await db.schema
    .alterTable('clients')
    .addColumn('previous_secret_digest', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .execute();
  await db.schema
    .alterTable('apis')
    .addColumn('scope_descriptions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_sub', 'text')
    .addColumn('actor_client_id', 'text')
    .addColumn('sub', 'text')
    .addColumn('client_id', 'text')
    .addColumn('address', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('events_at_id_idx').on('events').columns(['at', 'id']).execute();
  await db.schema.createIndex('events_type_at_id_idx').on('events').columns(['type', 'at', 'id']).execute();
  // Often NULL and never asked for NULL: their indexes leave those rows out.
  for (const column of ['sub', 'actor_sub', 'client_id', 'actor_client_id']) {
    await db.schema
      .createIndex(`events_${column}_at_id_idx`)
      .on('events')
      .columns([column, 'at', 'id'])
      .where(sql.ref(column), 'is not', null)
      .execute();
  }
  await db.schema.createIndex('grants_created_at_grant_id_idx').on('grants').columns(['created_at', 'grant_id']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings').execute();
  await db.schema.dropIndex('grants_created_at_grant_id_idx').execute();
  await db.schema.dropTable('events').execute();
  await db.schema.alterTable('apis').dropColumn('scope_descriptions').execute();
  await db.schema.alterTable('clients').dropColumn('previous_secret_expires_at').dropColumn('previous_secret_digest').execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').dropColumn('roles').execute();
}
