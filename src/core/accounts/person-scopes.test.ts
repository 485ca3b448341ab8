import { describe, expect, it } from 'vitest';
import { ADMIN_ROLE, ADMIN_SCOPES } from '../../admin/builtins.js';
import { holdsRole, isRoleScope, ROLE_SCOPES, scopesForPerson } from './person-scopes.js';

const person = (roles: string[], disabledAt: number | null = null) => ({ roles, disabledAt });

describe('scopes for a person', () => {
  it('names the same admin scopes and role as the built-in admin API', () => {
    expect(Object.keys(ROLE_SCOPES).sort()).toEqual([...ADMIN_SCOPES].sort());
    for (const scope of ADMIN_SCOPES) expect(ROLE_SCOPES[scope]).toBe(ADMIN_ROLE);
  });

  it('drops the admin scopes for a person without the admin role, keeping the rest in order', () => {
    expect(scopesForPerson(person([]), ['openid', 'admin:read', 'profile', 'admin:write'])).toEqual(['openid', 'profile']);
    expect(scopesForPerson(person(['editor']), ['admin:read'])).toEqual([]);
  });

  it('keeps them for an admin, but not for a disabled admin', () => {
    expect(scopesForPerson(person(['admin']), ['openid', 'admin:read', 'admin:write'])).toEqual(['openid', 'admin:read', 'admin:write']);
    expect(scopesForPerson(person(['admin'], 1000), ['openid', 'admin:read'])).toEqual(['openid']);
    expect(holdsRole(person(['admin'], 1000), 'admin')).toBe(false);
  });

  it('knows which scopes need a role', () => {
    expect(isRoleScope('admin:read')).toBe(true);
    expect(isRoleScope('openid')).toBe(false);
    expect(isRoleScope('toString')).toBe(false);
  });
});
