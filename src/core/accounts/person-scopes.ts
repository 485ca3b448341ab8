import type { UserRecord } from '../../storage/types.js';

/**
 * Scopes a person's token carries only if the person holds a role: the admin API's scopes need `admin`
 * (the same names as admin/builtins.ts, which core does not import; a test keeps them equal).
 */
export const ROLE_SCOPES: Readonly<Record<string, string>> = { 'admin:read': 'admin', 'admin:write': 'admin' };

export function isRoleScope(scope: string): boolean {
  return Object.hasOwn(ROLE_SCOPES, scope);
}

/** A disabled person holds no role. */
export function holdsRole(user: Pick<UserRecord, 'roles' | 'disabledAt'>, role: string): boolean {
  return (user.disabledAt ?? null) === null && (user.roles ?? []).includes(role);
}

/**
 * The share of `scopes` a token for this person may carry: a role scope only when the person holds its role. Every
 * place that decides what a person is granted (authorization request, consent, device approval, password grant)
 * and every token issued for a person goes through here.
 */
export function scopesForPerson(user: Pick<UserRecord, 'roles' | 'disabledAt'>, scopes: readonly string[]): string[] {
  return scopes.filter((s) => !isRoleScope(s) || holdsRole(user, ROLE_SCOPES[s] as string));
}

export function isDisabled(user: Pick<UserRecord, 'disabledAt'>): boolean {
  return (user.disabledAt ?? null) !== null;
}
