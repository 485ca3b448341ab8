import type { UserRecord } from '../../storage/types.js';

/** OIDC Core §5.4: the claims each standard scope asks for. */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const standardScopes = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

export const claimsSupported = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 'sid', 'amr', 'acr', ...Object.values(scopeClaims).flat()];

/** The user's claims released for `scopes` (without `sub`): only claims that have a value. */
export function claimsForScopes(user: UserRecord, scopes: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    ...user.profile,
    email: user.email,
    email_verified: user.emailVerified,
    updated_at: user.updatedAt,
  };
  const released: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const claim of scopeClaims[scope] ?? []) {
      const value = all[claim];
      if (value !== undefined && value !== null && value !== '') released[claim] = value;
    }
  }
  return released;
}
