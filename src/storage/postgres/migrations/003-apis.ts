import type { Kysely } from 'kysely';

/** APIs (RFC 8707 resources) and a lookup of tokens by audience, so that deleting an API revokes its tokens. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('apis')
    .addColumn('identifier', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('token_format', 'text', (c) => c.notNull())
    .addColumn('access_token_ttl', 'bigint', (c) => c.notNull())
    .addColumn('signing_alg', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_audience_idx').on('tokens').column('audience').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tokens_audience_idx').execute();
  await db.schema.dropTable('apis').execute();
}
