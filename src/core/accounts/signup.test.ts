import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../storage/types.js';
import { mustVerifyBeforeSignIn } from './email-verification.js';
import { parseCommonPasswords, type PasswordPolicy } from './password-policy.js';
import { checkSignup, cleanEmail, emailDomainAllowed, signUp, type SignupPolicy } from './signup.js';

const passwords: PasswordPolicy = { minLength: 8, maxLength: 64, common: parseCommonPasswords('password123\nqwertyuiop\n') };
const open: SignupPolicy = { signup: 'open', signupDomains: ['example.com'], signupVerify: true };
const input = { email: ' Ada@Example.COM ', password: 'correct horse battery staple', name: ' Ada ' };

describe('checkSignup', () => {
  it('accepts a clean sign-up, trimmed and lower-cased', () => {
    expect(checkSignup(input, open, passwords)).toEqual({ kind: 'ok', email: 'ada@example.com', password: input.password, name: 'Ada' });
    expect(checkSignup({ ...input, name: '' }, open, passwords)).toMatchObject({ kind: 'ok', name: undefined });
  });

  it('refuses everything while sign-up is off', () => {
    expect(checkSignup(input, { ...open, signup: 'off' }, passwords)).toEqual({ kind: 'closed' });
  });

  it('refuses bad addresses, other domains (a subdomain too), odd names and weak passwords', () => {
    expect(checkSignup({ ...input, email: 'not an address' }, open, passwords)).toEqual({ kind: 'invalid_email' });
    expect(checkSignup({ ...input, email: ['a@example.com'] }, open, passwords)).toEqual({ kind: 'invalid_email' });
    expect(checkSignup({ ...input, email: 'ada@evil.example' }, open, passwords)).toEqual({ kind: 'domain_not_allowed' });
    expect(checkSignup({ ...input, email: 'ada@mail.example.com' }, open, passwords)).toEqual({ kind: 'domain_not_allowed' });
    expect(checkSignup({ ...input, name: 'a\u0000b' }, open, passwords)).toEqual({ kind: 'invalid_name' });
    expect(checkSignup({ ...input, name: 'x'.repeat(201) }, open, passwords)).toEqual({ kind: 'invalid_name' });
    expect(checkSignup({ ...input, password: 'short' }, open, passwords)).toEqual({ kind: 'password', problem: 'short' });
    expect(checkSignup({ ...input, password: 'x'.repeat(65) }, open, passwords)).toEqual({ kind: 'password', problem: 'long' });
    expect(checkSignup({ ...input, password: 'Password123' }, open, passwords)).toEqual({ kind: 'password', problem: 'common' });
  });

  it('allows any domain when the list is empty', () => {
    expect(emailDomainAllowed('a@anything.example', [])).toBe(true);
    expect(cleanEmail('a@b')).toBe('a@b');
    expect(cleanEmail(undefined)).toBeUndefined();
  });
});

describe('signUp', () => {
  const someone = { sub: 's1', email: 'ada@example.com', emailVerified: false } as UserRecord;

  it('creates an unverified account, or names the existing owner without creating one', async () => {
    const created: unknown[] = [];
    const deps = (existing?: UserRecord) => ({
      users: { findByEmail: async () => existing },
      createUser: async (i: unknown) => (created.push(i), someone),
    });
    const checked = checkSignup(input, open, passwords);
    if (checked.kind !== 'ok') throw new Error('expected ok');
    expect(await signUp(checked, open, deps())).toEqual({ kind: 'created', user: someone });
    expect(created).toEqual([{ email: 'ada@example.com', password: input.password, name: 'Ada', emailVerified: false, verificationRequired: true }]);
    expect(await signUp(checked, open, deps(someone))).toEqual({ kind: 'exists', user: someone });
    expect(created).toHaveLength(1);
  });

  it('holds back only an account made by sign-up, and only while verification is on', () => {
    const signedUp = { emailVerified: false, verificationRequired: true };
    expect(mustVerifyBeforeSignIn(open, signedUp)).toBe(true);
    expect(mustVerifyBeforeSignIn(open, { ...signedUp, emailVerified: true })).toBe(false);
    expect(mustVerifyBeforeSignIn({ ...open, signupVerify: false }, signedUp)).toBe(false);
    // An account an operator made without a verified address keeps signing in when sign-up opens.
    expect(mustVerifyBeforeSignIn(open, { emailVerified: false, verificationRequired: false })).toBe(false);
  });
});
