import { sql, type Kysely } from 'kysely';

/**
 * What operators manage (issue 12): a user's roles and when they were disabled, a client's previous secret during a
 * rotation's grace period, an API's scope descriptions, the audit trail (events) and settings (branding, the
 * first-admin setup link). Existing rows get no roles, no previous secret and no scope descriptions.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('users').addColumn('disabled_at', 'integer').execute();
  await db.schema.alterTable('clients').addColumn('previous_secret_digest', 'text').execute();
  await db.schema.alterTable('clients').addColumn('previous_secret_expires_at', 'integer').execute();
  await db.schema.alterTable('apis').addColumn('scope_descriptions', 'text', (c) => c.notNull().defaultTo('{}')).execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'integer', (c) => c.notNull())
    .addColumn('actor_sub', 'text')
    .addColumn('actor_client_id', 'text')
    .addColumn('sub', 'text')
    .addColumn('client_id', 'text')
    .addColumn('address', 'text')
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .modifyEnd(sql`strict`)
    .execute();
  await createEventIndexes(db);
  await db.schema.createIndex('grants_created_at_grant_id_idx').on('grants').columns(['created_at', 'grant_id']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .modifyEnd(sql`strict`)
    .execute();
}

/**
 * Events are listed newest first (at, id), alone or filtered by type, person or client (as actor or subject); the
 * person and client columns are often NULL and never asked for NULL, so their indexes leave those rows out.
 */
async function createEventIndexes(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('events_at_id_idx').on('events').columns(['at', 'id']).execute();
  await db.schema.createIndex('events_type_at_id_idx').on('events').columns(['type', 'at', 'id']).execute();
  for (const column of ['sub', 'actor_sub', 'client_id', 'actor_client_id']) {
    await db.schema
      .createIndex(`events_${column}_at_id_idx`)
      .on('events')
      .columns([column, 'at', 'id'])
      .where(sql.ref(column), 'is not', null)
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings').execute();
  await db.schema.dropIndex('grants_created_at_grant_id_idx').execute();
  await db.schema.dropTable('events').execute();
  await db.schema.alterTable('apis').dropColumn('scope_descriptions').execute();
  await db.schema.alterTable('clients').dropColumn('previous_secret_expires_at').execute();
  await db.schema.alterTable('clients').dropColumn('previous_secret_digest').execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
  await db.schema.alterTable('users').dropColumn('roles').execute();
}
