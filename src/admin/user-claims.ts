/**
 * Checks of the profile claims an operator edits (OIDC Core §5.1 names). Each wrong value throws
 * AdminInputError naming the claim; a null or empty value removes the claim.
 */
import type { UserProfile } from '../storage/types.js';
import { AdminInputError } from './errors.js';

type Address = NonNullable<UserProfile['address']>;

/** A change of a user (PATCH semantics): absent leaves a claim alone, null (or '') removes it. */
export interface UpdateUserInput {
  email?: string;
  email_verified?: boolean;
  name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  middle_name?: string | null;
  nickname?: string | null;
  preferred_username?: string | null;
  profile?: string | null;
  picture?: string | null;
  website?: string | null;
  gender?: string | null;
  birthdate?: string | null;
  zoneinfo?: string | null;
  locale?: string | null;
  phone_number?: string | null;
  phone_number_verified?: boolean | null;
  address?: { [K in keyof Address]?: string | null } | null;
}

const TEXT_CLAIMS = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'gender'] as const;
const URL_CLAIMS = ['profile', 'picture', 'website'] as const;
export const ADDRESS_FIELDS = ['formatted', 'street_address', 'locality', 'region', 'postal_code', 'country'] as const;
export const PROFILE_CLAIMS = [
  ...TEXT_CLAIMS,
  ...URL_CLAIMS,
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
] as const;
export const USER_PATCH_FIELDS = ['email', 'email_verified', ...PROFILE_CLAIMS] as const;

const MAX_TEXT = 256;
const MAX_URL = 2048;

function text(field: string, value: unknown, max = MAX_TEXT): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') throw new AdminInputError(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length > max) throw new AdminInputError(field, `must be at most ${max} characters`);
  // Control characters would break the pages and log lines that show the claim.
  if (/[\u0000-\u001f\u007f]/.test(trimmed) && field !== 'address.formatted' && field !== 'address.street_address') {
    throw new AdminInputError(field, 'must not contain control characters');
  }
  return trimmed === '' ? undefined : trimmed;
}

// OIDC Core §5.1: profile, picture and website are URLs; only web URLs make sense in a browser.
function url(field: string, value: unknown): string | undefined {
  const v = text(field, value, MAX_URL);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new AdminInputError(field, `"${v}" is not an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AdminInputError(field, 'must be an http or https URL');
  return v;
}

// OIDC Core §5.1: locale is a BCP 47 language tag (RFC 5646), e.g. en-US or fr-CA; kept in canonical case.
function locale(value: unknown): string | undefined {
  const v = text('locale', value, 64);
  if (v === undefined) return undefined;
  try {
    const [canonical] = Intl.getCanonicalLocales(v);
    if (canonical) return canonical;
  } catch {
    // RangeError: not a well-formed language tag.
  }
  throw new AdminInputError('locale', `"${v}" is not a BCP 47 language tag (for example en-US)`);
}

// OIDC Core §5.1: zoneinfo is a time zone of the IANA database, e.g. Europe/Paris.
function zoneinfo(value: unknown): string | undefined {
  const v = text('zoneinfo', value, 64);
  if (v === undefined) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return v;
  } catch {
    throw new AdminInputError('zoneinfo', `"${v}" is not a time zone of the IANA database (for example Europe/Paris)`);
  }
}

// OIDC Core §5.1: birthdate is YYYY-MM-DD, YYYY alone, or 0000-MM-DD when the year is withheld.
function birthdate(value: unknown): string | undefined {
  const v = text('birthdate', value, 10);
  if (v === undefined) return undefined;
  const m = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(v);
  const ok =
    m !== null &&
    (m[2] === undefined ||
      (() => {
        const year = m[1] === '0000' ? 2000 : Number(m[1]);
        const date = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3])));
        return date.getUTCMonth() === Number(m[2]) - 1 && date.getUTCDate() === Number(m[3]);
      })());
  if (!ok || m[1] === '0000' && m[2] === undefined) throw new AdminInputError('birthdate', `"${v}" is not a date as YYYY-MM-DD or YYYY`);
  return v;
}

// OIDC Core §5.1: phone_number in E.164, e.g. +1 (425) 555-1212 stored as +14255551212; an extension as ;ext=.
function phoneNumber(value: unknown): string | undefined {
  const v = text('phone_number', value, 64);
  if (v === undefined) return undefined;
  const [number = '', ext, ...rest] = v.split(/;ext=/i);
  const digits = number.replace(/[\s().-]/g, '');
  if (rest.length > 0 || !/^\+[1-9]\d{6,14}$/.test(digits) || (ext !== undefined && !/^\d{1,10}$/.test(ext))) {
    throw new AdminInputError('phone_number', `"${v}" is not an E.164 phone number (for example +14255551212)`);
  }
  return ext === undefined ? digits : `${digits};ext=${ext}`;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new AdminInputError(field, 'must be true or false');
  return value;
}

function address(value: unknown): Address | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new AdminInputError('address', 'must be an object');
  const out: Address = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(ADDRESS_FIELDS as readonly string[]).includes(key)) {
      throw new AdminInputError(`address.${key}`, `is not an address field (${ADDRESS_FIELDS.join(', ')})`);
    }
    const checked = text(`address.${key}`, v, key === 'formatted' ? 1024 : MAX_TEXT);
    if (checked !== undefined) out[key as keyof Address] = checked;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function checkClaim(claim: (typeof PROFILE_CLAIMS)[number], value: unknown): UserProfile[keyof UserProfile] {
  switch (claim) {
    case 'profile':
    case 'picture':
    case 'website':
      return url(claim, value);
    case 'locale':
      return locale(value);
    case 'zoneinfo':
      return zoneinfo(value);
    case 'birthdate':
      return birthdate(value);
    case 'phone_number':
      return phoneNumber(value);
    case 'phone_number_verified':
      return value === null ? undefined : bool(claim, value);
    case 'address':
      return address(value);
    default:
      return text(claim, value);
  }
}

/**
 * The profile after `patch`: every given claim checked, removed when null or empty. Throws AdminInputError on the
 * first wrong claim, and on a key that is not a claim an operator may set.
 */
export function applyProfilePatch(profile: UserProfile, patch: Record<string, unknown>): { profile: UserProfile; changed: string[] } {
  const next: Record<string, unknown> = { ...profile };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === 'email' || key === 'email_verified') continue;
    if (!(PROFILE_CLAIMS as readonly string[]).includes(key)) {
      throw new AdminInputError(key, key === 'sub' ? 'cannot be changed' : 'is not a claim that can be set');
    }
    const checked = checkClaim(key as (typeof PROFILE_CLAIMS)[number], value);
    if (JSON.stringify(checked) !== JSON.stringify(next[key])) changed.push(key);
    if (checked === undefined) delete next[key];
    else next[key] = checked;
  }
  return { profile: next as UserProfile, changed };
}

/** Checks a whole profile given at creation (same rules as an edit). */
export function checkProfile(profile: UserProfile): UserProfile {
  return applyProfilePatch({}, profile as Record<string, unknown>).profile;
}

export function checkEmailVerified(value: unknown): boolean {
  return bool('email_verified', value);
}
