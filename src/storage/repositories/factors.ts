import type { Kysely, Selectable } from 'kysely';
import type { Database, PasskeysTable, TotpSecretsTable } from '../database.js';
import type {
  PasskeyChallengeRecord,
  PasskeyRecord,
  PasskeysRepository,
  RecoveryCodesRepository,
  TotpSecretRecord,
  TotpSecretsRepository,
} from '../types.js';
import { affected, fromBool, fromJson, insertOnce, isUniqueViolation, toJson } from './codec.js';

/** Second factors (issue 13): TOTP secrets, recovery codes, passkeys and their ceremonies' challenges. */
function toTotp(row: Selectable<TotpSecretsTable>): TotpSecretRecord {
  return { sub: row.sub, secretSealed: row.secret_sealed, confirmedAt: row.confirmed_at, lastStep: row.last_step, createdAt: row.created_at };
}

export function totpSecretsRepository(db: Kysely<Database>): TotpSecretsRepository {
  return {
    async find(sub) {
      const row = await db.selectFrom('totp_secrets').selectAll().where('sub', '=', sub).executeTakeFirst();
      return row && toTotp(row);
    },

    async putPending(record) {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('totp_secrets').select('confirmed_at').where('sub', '=', record.sub).executeTakeFirst();
        if (existing && existing.confirmed_at !== null) return false;
        await trx.deleteFrom('totp_secrets').where('sub', '=', record.sub).execute();
        await trx
          .insertInto('totp_secrets')
          .values({ sub: record.sub, secret_sealed: record.secretSealed, confirmed_at: null, last_step: null, created_at: record.createdAt })
          .execute();
        return true;
      });
    },

    async acceptStep(sub, step, now, confirm) {
      // One UPDATE decides: two requests with the same code cannot both see the step as new.
      let update = db
        .updateTable('totp_secrets')
        .set(confirm ? { last_step: step, confirmed_at: now } : { last_step: step })
        .where('sub', '=', sub)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]));
      update = confirm ? update.where('confirmed_at', 'is', null) : update.where('confirmed_at', 'is not', null);
      return affected(await update.executeTakeFirst());
    },

    async delete(sub) {
      return affected(await db.deleteFrom('totp_secrets').where('sub', '=', sub).executeTakeFirst());
    },
  };
}

export function recoveryCodesRepository(db: Kysely<Database>): RecoveryCodesRepository {
  return {
    async replace(sub, codeDigests, now) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('recovery_codes').where('sub', '=', sub).execute();
        if (codeDigests.length > 0) {
          await trx
            .insertInto('recovery_codes')
            .values(codeDigests.map((codeDigest) => ({ sub, code_digest: codeDigest, created_at: now, used_at: null })))
            .execute();
        }
      });
    },

    async consume(sub, codeDigest, now) {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('sub', '=', sub)
        .where('code_digest', '=', codeDigest)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return affected(result);
    },

    async remaining(sub) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('sub', '=', sub)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async deleteBySub(sub) {
      const result = await db.deleteFrom('recovery_codes').where('sub', '=', sub).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toPasskey(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    credentialId: row.credential_id,
    sub: row.sub,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: fromJson<string[]>(row.transports),
    deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: fromBool(row.backed_up),
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function passkeysRepository(db: Kysely<Database>): PasskeysRepository {
  return {
    async create(p) {
      await insertOnce(`passkey ${p.credentialId}`, () =>
        db
          .insertInto('passkeys')
          .values({
            credential_id: p.credentialId,
            sub: p.sub,
            public_key: p.publicKey,
            counter: p.counter,
            transports: toJson(p.transports),
            device_type: p.deviceType,
            backed_up: p.backedUp,
            name: p.name,
            created_at: p.createdAt,
            last_used_at: p.lastUsedAt,
          })
          .execute(),
      );
    },

    async find(credentialId) {
      const row = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row && toPasskey(row);
    },

    async listBySub(sub) {
      const rows = await db.selectFrom('passkeys').selectAll().where('sub', '=', sub).orderBy('created_at').orderBy('credential_id').execute();
      return rows.map(toPasskey);
    },

    async recordUse(credentialId, counter, backedUp, now) {
      const result = await db
        .updateTable('passkeys')
        .set({ counter, backed_up: backedUp, last_used_at: now })
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return affected(result);
    },

    async rename(sub, credentialId, name) {
      const result = await db.updateTable('passkeys').set({ name }).where('sub', '=', sub).where('credential_id', '=', credentialId).executeTakeFirst();
      return affected(result);
    },

    async delete(sub, credentialId) {
      return affected(await db.deleteFrom('passkeys').where('sub', '=', sub).where('credential_id', '=', credentialId).executeTakeFirst());
    },

    async deleteBySub(sub) {
      const result = await db.deleteFrom('passkeys').where('sub', '=', sub).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async userHandle(sub, create) {
      const found = await db.selectFrom('passkey_users').select('user_handle').where('sub', '=', sub).executeTakeFirst();
      if (found) return found.user_handle;
      try {
        await db.insertInto('passkey_users').values({ sub, user_handle: create() }).execute();
      } catch (error) {
        // Two first registrations at once: the one that was stored first is the person's handle.
        if (!isUniqueViolation(error)) throw error;
      }
      const row = await db.selectFrom('passkey_users').select('user_handle').where('sub', '=', sub).executeTakeFirstOrThrow();
      return row.user_handle;
    },

    async subForUserHandle(userHandle) {
      const row = await db.selectFrom('passkey_users').select('sub').where('user_handle', '=', userHandle).executeTakeFirst();
      return row?.sub;
    },

    async createChallenge(c) {
      await insertOnce('passkey challenge', () =>
        db
          .insertInto('passkey_challenges')
          .values({ challenge: c.challenge, purpose: c.purpose, browser_digest: c.browserDigest, sub: c.sub, expires_at: c.expiresAt })
          .execute(),
      );
    },

    async consumeChallenge(challenge, purpose, browserDigest, now) {
      // DELETE ... RETURNING (SQLite 3.35+, PostgreSQL): exactly one caller gets the row.
      const row = await db
        .deleteFrom('passkey_challenges')
        .where('challenge', '=', challenge)
        .where('purpose', '=', purpose)
        .where('browser_digest', '=', browserDigest)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const record: PasskeyChallengeRecord = { challenge: row.challenge, purpose, browserDigest: row.browser_digest, sub: row.sub, expiresAt: row.expires_at };
      return record;
    },
  };
}

