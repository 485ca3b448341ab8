import { sql, type Kysely } from 'kysely';

// STRICT tables: SQLite checks column types. Booleans are 0/1 integers, JSON is text.
const strict = sql`strict`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('client_secret_digest', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('sub', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_hash', 'text')
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_digest', 'text', (c) => c.primaryKey())
    .addColumn('sid', 'text', (c) => c.notNull().unique())
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('auth_time', 'integer', (c) => c.notNull())
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('interactions')
    .addColumn('id_digest', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('sub', 'text')
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('grants')
    .addColumn('grant_id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('sub', 'text', (c) => c.references('users.sub').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('auth_time', 'integer')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('revoked_at', 'integer')
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('authorization_codes')
    .addColumn('code_digest', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.grant_id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('auth_time', 'integer', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('consumed_at', 'integer')
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text', (c) => c.references('grants.grant_id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('sub', 'text', (c) => c.references('users.sub').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('audience', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('consumed_at', 'integer')
    .addColumn('revoked_at', 'integer')
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('consents_pk', ['sub', 'client_id'])
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('activated_at', 'integer')
    .addColumn('retired_at', 'integer')
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('replay')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_seconds', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'integer', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limits_pk', ['key', 'window_seconds', 'window_start'])
    .modifyEnd(strict)
    .execute();

  for (const [table, columns] of INDEXES) {
    await db.schema.createIndex(`${table}_${columns.join('_')}_idx`).on(table).columns(columns).execute();
  }
}

/** Lookups, revocation by grant, cascading deletes by client and user, and purges by expiry. */
const INDEXES: ReadonlyArray<readonly [string, string[]]> = [
  ['sessions', ['sub']],
  ['sessions', ['expires_at']],
  ['interactions', ['client_id']],
  ['interactions', ['sub']],
  ['interactions', ['expires_at']],
  ['grants', ['sub']],
  ['grants', ['client_id']],
  ['authorization_codes', ['grant_id']],
  ['authorization_codes', ['client_id']],
  ['authorization_codes', ['sub']],
  ['authorization_codes', ['expires_at']],
  ['tokens', ['grant_id']],
  ['tokens', ['client_id']],
  ['tokens', ['sub']],
  ['tokens', ['expires_at']],
  ['consents', ['client_id']],
  ['replay', ['expires_at']],
  ['rate_limits', ['expires_at']],
];

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'rate_limits',
    'replay',
    'signing_keys',
    'consents',
    'tokens',
    'authorization_codes',
    'grants',
    'interactions',
    'sessions',
    'users',
    'clients',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
