import type { Kysely } from 'kysely';

/**
 * RFC 9449: the DPoP key a token is bound to (`jkt`, its RFC 7638 thumbprint; null for bearer tokens), and the
 * `dpop_jkt` an authorization request bound its code to (§10). Columns, not JSON data: the refresh token rotation
 * compares `jkt` in its conditional UPDATE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('jkt', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('dpop_jkt', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authorization_codes').dropColumn('dpop_jkt').execute();
  await db.schema.alterTable('tokens').dropColumn('jkt').execute();
}
