import { sql, type Kysely } from 'kysely';

/**
 * Every committed change to the tables Latch instances keep in memory (clients, APIs, signing keys) sends
 * `NOTIFY latch_changes, '<schema>:<table>'` (postgres/changes.ts), whoever wrote it: an instance, the CLI, an
 * operator's own SQL. PostgreSQL delivers a notice only once its transaction has committed, and one per table per
 * transaction.
 */
const TABLES = ['clients', 'apis', 'signing_keys'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function latch_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('latch_changes', tg_table_schema || ':' || tg_table_name);
      return null;
    end
    $$`.execute(db);
  for (const table of TABLES) {
    await sql`create trigger latch_changed after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function latch_notify_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await sql`drop trigger if exists latch_changed on ${sql.table(table)}`.execute(db);
  await sql`drop function if exists latch_notify_change()`.execute(db);
}
