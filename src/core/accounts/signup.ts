/**
 * Sign-up (issue 13): off unless the operator opens it (LATCH_SIGNUP), limited to the allowed email domains
 * (LATCH_SIGNUP_DOMAINS), with the password policy of every other way of setting a password. Whether the address
 * already has an account is not shown to the person: the route answers both alike and mails the owner instead.
 */
import type { UserRecord, UsersRepository } from '../../storage/types.js';
import type { PasswordPolicy } from './password-policy.js';

export interface SignupPolicy {
  signup: 'open' | 'off';
  /** Lower-cased domains; empty: any. */
  signupDomains: readonly string[];
  signupVerify: boolean;
}

// Pragmatic address check (WHATWG "valid e-mail address", HTML §4.10.5.1.5), as the admin services use.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const MAX_NAME_LENGTH = 200;

export function signupOpen(policy: Pick<SignupPolicy, 'signup'>): boolean {
  return policy.signup === 'open';
}

/** A usable address, trimmed and lower-cased, or undefined. */
export function cleanEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

/** The domain after the last @ is one of the allowed ones (exactly: a subdomain is another domain). */
export function emailDomainAllowed(email: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domains.includes(domain);
}

export type PasswordProblem = 'short' | 'long' | 'common';

/** Why a new password is refused, as a kind the pages word in the person's language (policy: password-policy.ts). */
export function passwordProblemKind(policy: PasswordPolicy, password: string): PasswordProblem | undefined {
  // NIST SP 800-63B §5.1.1.2: a minimum length, a maximum, and no commonly used password.
  if (password.length < policy.minLength) return 'short';
  if (password.length > policy.maxLength) return 'long';
  if (policy.common.has(password.toLowerCase())) return 'common';
  return undefined;
}

export interface SignupInput {
  email: unknown;
  password: unknown;
  name: unknown;
}

export type SignupCheck =
  | { kind: 'ok'; email: string; password: string; name: string | undefined }
  | { kind: 'closed' }
  | { kind: 'invalid_email' }
  | { kind: 'domain_not_allowed' }
  | { kind: 'invalid_name' }
  | { kind: 'password'; problem: PasswordProblem };

/** What a sign-up form asks, checked before anything is looked up or stored. */
export function checkSignup(input: SignupInput, policy: SignupPolicy, passwords: PasswordPolicy): SignupCheck {
  if (!signupOpen(policy)) return { kind: 'closed' };
  const email = cleanEmail(input.email);
  if (!email) return { kind: 'invalid_email' };
  if (!emailDomainAllowed(email, policy.signupDomains)) return { kind: 'domain_not_allowed' };
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) return { kind: 'invalid_name' };
  const password = typeof input.password === 'string' ? input.password : '';
  const problem = passwordProblemKind(passwords, password);
  if (problem) return { kind: 'password', problem };
  return { kind: 'ok', email, password, name: name || undefined };
}

export interface SignupDeps {
  users: Pick<UsersRepository, 'findByEmail'>;
  /** Creates the account (the admin services' createUser: hashing, events); throws when the email exists. */
  createUser(input: { email: string; password: string; name?: string; emailVerified: boolean; verificationRequired: boolean }): Promise<UserRecord>;
}

export type SignupOutcome = { kind: 'created'; user: UserRecord } | { kind: 'exists'; user: UserRecord };

/** Creates the account, unverified, unless the address has one already (then the existing owner is the outcome). */
export async function signUp(checked: Extract<SignupCheck, { kind: 'ok' }>, policy: SignupPolicy, deps: SignupDeps): Promise<SignupOutcome> {
  const existing = await deps.users.findByEmail(checked.email);
  if (existing) return { kind: 'exists', user: existing };
  try {
    const user = await deps.createUser({
      email: checked.email,
      password: checked.password,
      ...(checked.name !== undefined ? { name: checked.name } : {}),
      // Without verification the address is taken on trust, and said so: email_verified stays false.
      emailVerified: false,
      verificationRequired: policy.signupVerify,
    });
    return { kind: 'created', user };
  } catch (err) {
    // Two sign-ups of one address at once: the second finds the first.
    const raced = await deps.users.findByEmail(checked.email);
    if (raced) return { kind: 'exists', user: raced };
    throw err;
  }
}
