import { sql, type Kysely } from 'kysely';

/**
 * A rotated refresh token records the key of the token it was rotated into (`successor_digest`), so that a replay
 * inside the reuse interval can answer the same successor (recomputed from the presented value with the server's
 * key, never stored in clear). Device grants are now created when the person approves: approved device codes not
 * yet redeemed get their grant here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('successor_digest', 'text').execute();
  await sql`
    insert into grants (grant_id, client_id, sub, scope, sid, auth_time, created_at, revoked_at)
    select d.grant_id, d.client_id, d.sub, d.scope, d.sid, d.auth_time, d.decided_at, null
    from device_codes d
    where d.status = 'approved' and d.consumed_at is null and d.grant_id is not null and d.sub is not null
      and not exists (select 1 from grants g where g.grant_id = d.grant_id)
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('successor_digest').execute();
}
