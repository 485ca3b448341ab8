import { sql, type Kysely } from 'kysely';

/**
 * An interaction says what it is for: `authorize` (an authorization request, in `request`) or `device` (a device
 * code being decided on, in `device_code_digest`, formerly the reserved `request._device` key). Rows written before
 * are moved: those with `_device` become device interactions with an empty request; every other one is `authorize`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('interactions')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('authorize'))
    .addColumn('device_code_digest', 'text')
    .execute();
  await sql`update interactions set kind = 'device', device_code_digest = request->>'_device', request = '{}'::jsonb
    where request->>'_device' is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update interactions set request = jsonb_build_object('_device', device_code_digest) where kind = 'device'`.execute(db);
  await db.schema.alterTable('interactions').dropColumn('device_code_digest').dropColumn('kind').execute();
}
