import { sql, type Kysely } from 'kysely';

const strict = sql`strict`;

/**
 * Passkeys and second factors (issue 13): a person's TOTP secret (sealed with the server secret like signing keys,
 * with the last time step accepted so that a code is never accepted twice), their single-use recovery codes (digests
 * only), their WebAuthn credentials and the user handle they are registered under, and the one-time challenges of
 * WebAuthn ceremonies in progress.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('totp_secrets')
    .addColumn('sub', 'text', (c) => c.primaryKey().references('users.sub').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'integer')
    .addColumn('last_step', 'integer')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('code_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'integer')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['sub', 'code_digest'])
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('passkey_users')
    .addColumn('sub', 'text', (c) => c.primaryKey().references('users.sub').onDelete('cascade'))
    .addColumn('user_handle', 'text', (c) => c.notNull().unique())
    .modifyEnd(strict)
    .execute();

  await db.schema
    .createTable('passkeys')
    .addColumn('credential_id', 'text', (c) => c.primaryKey())
    .addColumn('sub', 'text', (c) => c.notNull().references('users.sub').onDelete('cascade'))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'integer', (c) => c.notNull())
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('last_used_at', 'integer')
    .modifyEnd(strict)
    .execute();
  await db.schema.createIndex('passkeys_sub_idx').on('passkeys').column('sub').execute();

  await db.schema
    .createTable('passkey_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('browser_digest', 'text', (c) => c.notNull())
    .addColumn('sub', 'text')
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .modifyEnd(strict)
    .execute();
  await db.schema.createIndex('passkey_challenges_expires_at_idx').on('passkey_challenges').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('passkey_challenges').execute();
  await db.schema.dropTable('passkeys').execute();
  await db.schema.dropTable('passkey_users').execute();
  await db.schema.dropTable('recovery_codes').execute();
  await db.schema.dropTable('totp_secrets').execute();
}
