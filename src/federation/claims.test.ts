import { describe, expect, it } from 'vitest';
import { mapClaims, readPath } from './claims.js';

describe('mapping upstream claims', () => {
  it('reads the standard claims by default', () => {
    const profile = mapClaims({}, { sub: 'abc', email: 'Ada@Example.COM', email_verified: true, name: 'Ada', given_name: 'Ada', family_name: 'L', picture: 'https://x.test/a.png' });
    expect(profile).toEqual({ sub: 'abc', email: 'ada@example.com', emailVerified: true, name: 'Ada', given_name: 'Ada', family_name: 'L', picture: 'https://x.test/a.png' });
  });

  it('follows a mapping such as GitHub: sub <- id (a number), name <- login, email from a nested path', () => {
    const mapping = { sub: 'id', name: 'login', email: 'emails.0.value', email_verified: 'emails.0.verified' };
    const profile = mapClaims(mapping, { id: 583231, login: 'octocat', emails: [{ value: 'octo@github.test', verified: true }] });
    expect(profile).toEqual({ sub: '583231', email: 'octo@github.test', emailVerified: true, name: 'octocat' });
  });

  it('an email is verified only when the upstream says true', () => {
    expect(mapClaims({}, { sub: 'a', email: 'a@x.test' })?.emailVerified).toBe(false);
    expect(mapClaims({}, { sub: 'a', email: 'a@x.test', email_verified: 'yes' })?.emailVerified).toBe(false);
    expect(mapClaims({}, { sub: 'a', email: 'a@x.test', email_verified: 1 })?.emailVerified).toBe(false);
    expect(mapClaims({}, { sub: 'a', email: 'a@x.test', email_verified: 'true' })?.emailVerified).toBe(true);
    expect(mapClaims({}, { sub: 'a', email_verified: true })).toEqual({ sub: 'a', email: null, emailVerified: false });
  });

  it('no subject, no profile; odd values are left out', () => {
    expect(mapClaims({}, { email: 'a@x.test' })).toBeUndefined();
    expect(mapClaims({}, { sub: '' })).toBeUndefined();
    expect(mapClaims({}, { sub: { nested: 1 } })).toBeUndefined();
    expect(mapClaims({}, { sub: 'a', name: ['x'], picture: 'javascript:alert(1)' })).toEqual({ sub: 'a', email: null, emailVerified: false });
  });

  it('paths do not reach into the prototype', () => {
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(readPath({ a: 'str' }, 'a.length')).toBeUndefined();
  });
});
