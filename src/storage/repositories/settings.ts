import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { AdminSetupRecord, BrandingSettings, SettingsRepository } from '../types.js';
import { affected, fromJson, toJson } from './codec.js';

/** One codec per setting: what the `value` JSON of its row holds, read back typed. */
interface SettingCodec<T> {
  key: string;
  encode(value: T): { value: string; updatedAt: number };
  decode(value: string, updatedAt: number): T;
}

type JsonObject = Record<string, unknown>;

function object(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`setting ${what} is not an object`);
  return value as JsonObject;
}

/** A string, or null when absent or null. */
function text(from: JsonObject, key: string, what: string): string | null {
  const value = from[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`setting ${what}.${key} is not a string`);
  return value;
}

export const brandingCodec: SettingCodec<BrandingSettings> = {
  key: 'branding',
  encode: (b) => ({
    value: toJson({
      productName: b.productName,
      logoUri: b.logoUri,
      primaryColor: b.primaryColor,
      links: { privacy: b.links.privacy, terms: b.links.terms, support: b.links.support },
    }),
    updatedAt: b.updatedAt,
  }),
  decode(value, updatedAt) {
    const b = object(fromJson<unknown>(value), 'branding');
    const links = b.links === undefined || b.links === null ? {} : object(b.links, 'branding.links');
    return {
      productName: text(b, 'productName', 'branding'),
      logoUri: text(b, 'logoUri', 'branding'),
      primaryColor: text(b, 'primaryColor', 'branding'),
      links: { privacy: text(links, 'privacy', 'branding.links'), terms: text(links, 'terms', 'branding.links'), support: text(links, 'support', 'branding.links') },
      updatedAt,
    };
  },
};

export const adminSetupCodec: SettingCodec<AdminSetupRecord> = {
  key: 'admin_setup',
  // The record has no time of its own: the row says when it was written.
  encode: (s) => ({ value: toJson({ tokenDigest: s.tokenDigest, expiresAt: s.expiresAt }), updatedAt: Math.floor(Date.now() / 1000) }),
  decode(value) {
    const s = object(fromJson<unknown>(value), 'admin_setup');
    const tokenDigest = text(s, 'tokenDigest', 'admin_setup');
    if (tokenDigest === null || !Number.isSafeInteger(s.expiresAt)) throw new Error('setting admin_setup is not a setup record');
    return { tokenDigest, expiresAt: s.expiresAt as number };
  },
};

export function settingsRepository(db: Kysely<Database>): SettingsRepository {
  const read = (key: string) => db.selectFrom('settings').select(['value', 'updated_at']).where('key', '=', key).executeTakeFirst();

  async function get<T>(codec: SettingCodec<T>): Promise<T | undefined> {
    const row = await read(codec.key);
    return row && codec.decode(row.value, row.updated_at);
  }

  async function put<T>(codec: SettingCodec<T>, setting: T): Promise<void> {
    const { value, updatedAt } = codec.encode(setting);
    await db
      .insertInto('settings')
      .values({ key: codec.key, value, updated_at: updatedAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: updatedAt }))
      .execute();
  }

  return {
    getBranding: () => get(brandingCodec),
    putBranding: (branding) => put(brandingCodec, branding),
    getAdminSetup: () => get(adminSetupCodec),
    putAdminSetup: (setup) => put(adminSetupCodec, setup),

    async consumeAdminSetup(tokenDigest, now) {
      const row = await read(adminSetupCodec.key);
      if (row === undefined) return false;
      const setup = adminSetupCodec.decode(row.value, row.updated_at);
      if (setup.tokenDigest !== tokenDigest || setup.expiresAt <= now) return false;
      // Deleting the very record read decides the race: of concurrent callers, one deletes it, the others find none.
      const deleted = await db.deleteFrom('settings').where('key', '=', adminSetupCodec.key).where('value', '=', row.value).executeTakeFirst();
      return affected(deleted);
    },
  };
}
