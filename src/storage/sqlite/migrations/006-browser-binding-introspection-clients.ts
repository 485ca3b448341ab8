import { sql, type Kysely } from 'kysely';

/**
 * Two typed columns where a reserved key or nothing stood before: the browser an interaction is bound to (the
 * digest of its `latch_browser` cookie, formerly `request._browser`), so that a sign-in can rebind a browser's
 * interactions in one statement; and the clients an API lets introspect its tokens (RFC 7662 §4).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('interactions').addColumn('browser_digest', 'text', (c) => c.notNull().defaultTo('')).execute();
  await sql`update interactions set browser_digest = coalesce(json_extract(request, '$._browser'), ''), request = json_remove(request, '$._browser')`.execute(db);
  await db.schema.createIndex('interactions_browser_digest_idx').on('interactions').column('browser_digest').execute();
  await db.schema.alterTable('apis').addColumn('introspection_clients', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apis').dropColumn('introspection_clients').execute();
  await db.schema.dropIndex('interactions_browser_digest_idx').execute();
  await sql`update interactions set request = json_set(request, '$._browser', browser_digest)`.execute(db);
  await db.schema.alterTable('interactions').dropColumn('browser_digest').execute();
}
