import { describe, expect, it } from 'vitest';
import { describeScopes, isKnownScope } from './scopes.js';

describe('describeScopes', () => {
  it('describes the standard scopes in words', () => {
    expect(describeScopes(['openid', 'profile', 'email', 'address', 'phone', 'offline_access'])).toEqual([
      { scope: 'openid', description: 'Sign you in (your user ID)' },
      { scope: 'profile', description: 'Your basic profile (name, picture, …)' },
      { scope: 'email', description: 'Your email address' },
      { scope: 'address', description: 'Your postal address' },
      { scope: 'phone', description: 'Your phone number' },
      { scope: 'offline_access', description: 'Keep access while you are away (stay signed in)' },
    ]);
  });

  it('describes unknown scopes by their own name, even object-prototype names', () => {
    expect(describeScopes(['api:read', 'constructor', '__proto__', 'toString'])).toEqual([
      { scope: 'api:read', description: 'api:read' },
      { scope: 'constructor', description: 'constructor' },
      { scope: '__proto__', description: '__proto__' },
      { scope: 'toString', description: 'toString' },
    ]);
    expect(isKnownScope('constructor')).toBe(false);
    expect(isKnownScope('email')).toBe(true);
  });

  it('keeps the order asked and drops duplicates and empty values', () => {
    expect(describeScopes(['email', '', 'openid', 'email']).map((s) => s.scope)).toEqual(['email', 'openid']);
    expect(describeScopes([])).toEqual([]);
  });
});
