import type { Kysely } from 'kysely';

/**
 * Only an account made through the sign-up form waits for its address to be verified before it can sign in. Accounts
 * an operator created (every account before this migration) never do: turning sign-up on must not lock them out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('verification_required', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('verification_required').execute();
}
