import { sql, type Kysely } from 'kysely';

/**
 * The client of a token is checked by the token INSERT itself (postgres/batched.ts), no longer by a foreign key.
 *
 * The key ran a locking query for every row it checked, and took the client row's FOR KEY SHARE lock in every
 * concurrent transaction: about a fifth of PostgreSQL's work per token issued (bench/README.md). The INSERT now
 * locks each client of its batch once, the same lock, and writes only the rows whose client it locked; deleting a
 * client deletes its tokens again after the client (repositories/clients.ts), so a token written while the client was
 * being deleted is deleted with it. Tokens with a grant keep the grant's key, which cascades from the client too.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tokens drop constraint if exists tokens_client_id_fkey`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from tokens t where not exists (select 1 from clients c where c.client_id = t.client_id)`.execute(db);
  await sql`alter table tokens add constraint tokens_client_id_fkey foreign key (client_id) references clients (client_id) on delete cascade`.execute(db);
}
