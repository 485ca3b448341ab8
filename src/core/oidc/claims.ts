import type { UserRecord } from '../../storage/types.js';
import { spaceList } from '../params.js';
import type { ClaimsRequest, RequestedClaims } from './claims-request.js';

/** OIDC Core §5.4: the claims each standard scope asks for. */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const standardScopes = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

export const claimsSupported = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 'sid', 'amr', 'acr', ...Object.values(scopeClaims).flat()];

function personClaims(user: UserRecord): Record<string, unknown> {
  return { ...user.profile, email: user.email, email_verified: user.emailVerified, updated_at: user.updatedAt };
}

const hasValue = (value: unknown) => value !== undefined && value !== null && value !== '';

/** The user's claims released for `scopes` (without `sub`): only claims that have a value. */
export function claimsForScopes(user: UserRecord, scopes: readonly string[]): Record<string, unknown> {
  const all = personClaims(user);
  const released: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const claim of scopeClaims[scope] ?? []) {
      const value = all[claim];
      if (hasValue(value)) released[claim] = value;
    }
  }
  return released;
}

/** The scope whose claims include `claim` (OIDC Core §5.4), if any. */
function scopeOfClaim(claim: string): string | undefined {
  return Object.keys(scopeClaims).find((scope) => scopeClaims[scope]?.includes(claim));
}

/**
 * The scopes the person consents to: those requested, plus each scope (the client is registered for) whose claims
 * the claims parameter asks for one by one (OIDC Core §5.5): a claim is never released that the person was not
 * asked about, whether it came by scope or by name.
 */
export function consentScopes(
  request: { scopes: readonly string[]; claims?: ClaimsRequest | undefined; client: { metadata: { scope: string } } },
): string[] {
  if (!request.claims) return [...request.scopes];
  const registered = spaceList(request.client.metadata.scope);
  const named = [...Object.keys(request.claims?.id_token ?? {}), ...Object.keys(request.claims?.userinfo ?? {})];
  const extra = named.map(scopeOfClaim).filter((s): s is string => s !== undefined && registered.includes(s));
  return [...new Set([...request.scopes, ...extra])];
}

/**
 * The claims of `scopes`, plus those requested one by one through the claims parameter (OIDC Core §5.5: released
 * even when no requested scope covers them), for each requested claim that the person has a value for and whose
 * scope the client is registered for (`registeredScopes`): a client never learns through `claims` what it could
 * never be granted by scope. Unknown claim names are ignored (§5.5.1).
 */
export function releasedClaims(
  user: UserRecord,
  scopes: readonly string[],
  requested: RequestedClaims | undefined,
  registeredScopes: readonly string[],
): Record<string, unknown> {
  const released = claimsForScopes(user, scopes);
  if (!requested) return released;
  const all = personClaims(user);
  for (const claim of Object.keys(requested)) {
    const scope = scopeOfClaim(claim);
    if (scope === undefined || !registeredScopes.includes(scope) || Object.hasOwn(released, claim)) continue;
    if (hasValue(all[claim])) released[claim] = all[claim];
  }
  return released;
}
