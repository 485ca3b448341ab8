import { sql, type Kysely } from 'kysely';

/**
 * An interaction says what it is for: `authorize` (an authorization request, in `request`) or `device` (a device
 * code being decided on, in `device_code_digest`, formerly the reserved `request._device` key). Rows written before
 * are moved: those with `_device` become device interactions with an empty request; every other one is `authorize`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('interactions').addColumn('kind', 'text', (c) => c.notNull().defaultTo('authorize')).execute();
  await db.schema.alterTable('interactions').addColumn('device_code_digest', 'text').execute();
  await sql`update interactions set kind = 'device', device_code_digest = json_extract(request, '$._device'), request = '{}'
    where json_extract(request, '$._device') is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update interactions set request = json_object('_device', device_code_digest) where kind = 'device'`.execute(db);
  await db.schema.alterTable('interactions').dropColumn('device_code_digest').execute();
  await db.schema.alterTable('interactions').dropColumn('kind').execute();
}
