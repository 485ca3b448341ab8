/**
 * An upstream's claims (its ID token, its userinfo) as a Latch user: each Latch claim is read from the path the
 * connection's mapping names (`id`, `emails.0.value`), else from the claim of the same name.
 */
import type { ClaimMapping } from '../storage/types.js';

export const MAPPED_CLAIMS = ['sub', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'picture'] as const;
export type MappedClaim = (typeof MAPPED_CLAIMS)[number];

/** Who the upstream says the person is. */
export interface UpstreamProfile {
  /** The upstream's subject: unique per connection. */
  sub: string;
  /** Lower-cased, or null when the upstream shared none. */
  email: string | null;
  /** True only when the upstream says so with a boolean true (or the string "true"). */
  emailVerified: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
}

/** A dotted path: letters, digits, `_`, `-`, `:` and `.` between the segments. */
export const CLAIM_PATH = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;

export function readPath(claims: unknown, path: string): unknown {
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function text(value: unknown, max = 512): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > max ? undefined : trimmed;
}

/** The profile, or undefined when the claims carry no usable subject. */
export function mapClaims(mapping: ClaimMapping, claims: Readonly<Record<string, unknown>>): UpstreamProfile | undefined {
  const read = (claim: MappedClaim) => readPath(claims, mapping[claim] ?? claim);
  const sub = text(read('sub'), 255);
  if (sub === undefined) return undefined;
  const email = text(read('email'), 254)?.toLowerCase() ?? null;
  const verified = read('email_verified');
  const profile: UpstreamProfile = { sub, email, emailVerified: email !== null && (verified === true || verified === 'true') };
  for (const claim of ['name', 'given_name', 'family_name', 'picture'] as const) {
    const value = text(read(claim));
    if (value !== undefined) profile[claim] = value;
  }
  if (profile.picture !== undefined && !/^https:\/\//.test(profile.picture)) delete profile.picture;
  return profile;
}
