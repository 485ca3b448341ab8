import type { Kysely, Selectable } from 'kysely';
import type { Database, DeviceCodesTable } from '../database.js';
import type { DeviceCodeRecord, DeviceCodesRepository, DeviceCodeStatus } from '../types.js';
import { affected, insertOnce, toJson } from './codec.js';

function toRecord(row: Selectable<DeviceCodesTable>): DeviceCodeRecord {
  return {
    deviceCodeDigest: row.device_code_digest,
    userCodeDigest: row.user_code_digest,
    clientId: row.client_id,
    scope: row.scope,
    status: row.status as DeviceCodeStatus,
    grantId: row.grant_id,
    sub: row.sub,
    sid: row.sid,
    authTime: row.auth_time,
    interval: row.poll_interval,
    lastPolledAt: row.last_polled_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    consumedAt: row.consumed_at,
  };
}

export function deviceCodesRepository(db: Kysely<Database>): DeviceCodesRepository {
  /** Decisions are taken once: only a pending code that has not expired can be approved or denied. */
  /** The one decision a pending, unexpired code can take (approve or deny), in `on` (the store or a transaction). */
  const decide = (deviceCodeDigest: string, now: number, on: Kysely<Database> = db) =>
    on
      .updateTable('device_codes')
      .where('device_code_digest', '=', deviceCodeDigest)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now);

  return {
    async create(record) {
      await insertOnce('device code', () =>
        db
          .insertInto('device_codes')
          .values({
            device_code_digest: record.deviceCodeDigest,
            user_code_digest: record.userCodeDigest,
            client_id: record.clientId,
            scope: record.scope,
            status: record.status,
            grant_id: record.grantId,
            sub: record.sub,
            sid: record.sid,
            auth_time: record.authTime,
            poll_interval: record.interval,
            last_polled_at: record.lastPolledAt,
            created_at: record.createdAt,
            expires_at: record.expiresAt,
            decided_at: record.decidedAt,
            consumed_at: record.consumedAt,
          })
          .execute(),
      );
    },

    async find(deviceCodeDigest) {
      const row = await db.selectFrom('device_codes').selectAll().where('device_code_digest', '=', deviceCodeDigest).executeTakeFirst();
      return row && toRecord(row);
    },

    async findByUserCode(userCodeDigest, now) {
      const row = await db
        .selectFrom('device_codes')
        .selectAll()
        .where('user_code_digest', '=', userCodeDigest)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async approve(deviceCodeDigest, approval, now) {
      // The grant exists from the approval on: a redemption that loses a race to another one always finds the grant
      // whose tokens it must revoke (RFC 6749 §4.1.2 by analogy).
      return db.transaction().execute(async (trx) => {
        const approved = await decide(deviceCodeDigest, now, trx)
          .set({
            status: 'approved',
            grant_id: approval.grantId,
            sub: approval.sub,
            sid: approval.sid,
            auth_time: approval.authTime,
            scope: approval.scope,
            decided_at: now,
          })
          .returning('client_id')
          .executeTakeFirst();
        if (!approved) return false;
        await trx
          .insertInto('grants')
          .values({
            grant_id: approval.grantId,
            client_id: approved.client_id,
            sub: approval.sub,
            scope: approval.scope,
            sid: approval.sid,
            auth_time: approval.authTime,
            amr: toJson(approval.amr),
            created_at: now,
            revoked_at: null,
          })
          .execute();
        return true;
      });
    },

    async deny(deviceCodeDigest, now) {
      return affected(await decide(deviceCodeDigest, now).set({ status: 'denied', decided_at: now }).executeTakeFirst());
    },

    async recordPoll(deviceCodeDigest, now, interval) {
      const result = await db
        .updateTable('device_codes')
        .set({ last_polled_at: now, poll_interval: interval })
        .where('device_code_digest', '=', deviceCodeDigest)
        .executeTakeFirst();
      return affected(result);
    },

    async consume(deviceCodeDigest, expected, now) {
      // RFC 8628 §3.5 / RFC 6749 §4.1.2: tokens are issued once, to the client the code was issued to. The conditional
      // UPDATE lets exactly one caller win; another client's attempt changes nothing.
      const consumed = await db
        .updateTable('device_codes')
        .set({ consumed_at: now })
        .where('device_code_digest', '=', deviceCodeDigest)
        .where('client_id', '=', expected.clientId)
        .where('status', '=', 'approved')
        .where('consumed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (consumed) return { record: toRecord(consumed), firstUse: true };
      const row = await db
        .selectFrom('device_codes')
        .selectAll()
        .where('device_code_digest', '=', deviceCodeDigest)
        .where('client_id', '=', expected.clientId)
        .where('status', '=', 'approved')
        .executeTakeFirst();
      return row && { record: toRecord(row), firstUse: false };
    },
  };
}
