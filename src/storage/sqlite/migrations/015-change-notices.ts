import type { Kysely } from 'kysely';

/**
 * PostgreSQL's migration 015 makes changes to clients, APIs and keys send a notice to every instance. SQLite needs
 * none (one process writes; others see `PRAGMA data_version` change): this one only keeps the numbering of the two
 * dialects aligned.
 */
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
