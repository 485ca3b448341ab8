import { sql, type Kysely } from 'kysely';

/**
 * Sign in with another provider (issue 13): the upstream providers operators register (`connections`, the client
 * secret sealed with the server secret like signing keys), the upstream identities linked to Latch users
 * (`user_identities`, one per upstream subject of a connection) and the short-lived state of a sign-in at an
 * upstream (`federation_states`: found by the digest of the `state` value, or of a pending link's token).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text')
    .addColumn('authorization_endpoint', 'text')
    .addColumn('token_endpoint', 'text')
    .addColumn('userinfo_endpoint', 'text')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret_encrypted', 'text')
    .addColumn('scopes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('claim_mapping', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    
    .execute();

  await db.schema
    .createTable('user_identities')
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('upstream_sub', 'text', (c) => c.notNull())
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addPrimaryKeyConstraint('user_identities_pk', ['connection_id', 'upstream_sub'])
    
    .execute();
  await db.schema.createIndex('user_identities_sub_idx').on('user_identities').column('sub').execute();

  await db.schema
    .createTable('federation_states')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('interaction_digest', 'text', (c) => c.notNull())
    .addColumn('browser_digest', 'text', (c) => c.notNull())
    .addColumn('upstream_sub', 'text')
    .addColumn('email', 'text')
    .addColumn('sub', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    
    .execute();
  await db.schema.createIndex('federation_states_expires_at_idx').on('federation_states').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('federation_states').execute();
  await db.schema.dropTable('user_identities').execute();
  await db.schema.dropTable('connections').execute();
}
