import type { Kysely } from 'kysely';

/**
 * A grant remembers how the person signed in (`amr`, RFC 8176) as well as when, so that every token issued from it
 * (the ID token of a refresh, introspection) tells the truth about the authentication. Grants written before have
 * none; they were all password sign-ins (or no person at all).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('grants').addColumn('amr', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('grants').dropColumn('amr').execute();
}
