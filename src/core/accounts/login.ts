import type { UserRecord, UsersRepository } from '../../storage/types.js';
import { dummyVerify, verifyPassword } from '../passwords.js';
import { digest } from '../tokens/hash.js';
import { enterThrottle, type ThrottleDeps } from './throttle.js';

export interface LoginAttemptDeps {
  users: Pick<UsersRepository, 'findByEmail'>;
  throttle: ThrottleDeps;
}

export interface LoginAttempt {
  email: string;
  password: string;
  /** The client's IP address, when known. */
  ip: string | undefined;
  now: number;
}

export type LoginAttemptResult =
  | { kind: 'success'; user: UserRecord }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfter: number };

/** Emails are compared trimmed and lower-cased, as they are stored. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * One password check, shared by the login page and the password grant so both count against the same limits.
 * RFC 6749 §4.3.2 / §10.10: the server MUST protect the endpoint against brute force attacks: failures are
 * throttled per account and address, per address, and (slowdown only) per account (./throttle.ts). The same
 * work and the same answer for an unknown account and a wrong password, so the result does not reveal which
 * accounts exist.
 */
export async function attemptLogin(attempt: LoginAttempt, deps: LoginAttemptDeps): Promise<LoginAttemptResult> {
  const email = normalizeEmail(attempt.email);
  // The log names the account by a digest: people sometimes type their password into the email field.
  const gate = await enterThrottle({ kind: 'password', subject: email, who: `sha256:${digest(email)}`, address: attempt.ip, now: attempt.now }, deps.throttle);
  if (gate.kind === 'locked') return { kind: 'throttled', retryAfter: gate.retryAfter };
  let user: UserRecord | undefined;
  let ok: boolean;
  try {
    user = email ? await deps.users.findByEmail(email) : undefined;
    ok = user?.passwordHash ? await verifyPassword(user.passwordHash, attempt.password) : await dummyVerify(attempt.password);
  } catch (error) {
    gate.abandoned();
    throw error;
  }
  if (!user || !ok) {
    await gate.failed();
    return { kind: 'invalid' };
  }
  await gate.succeeded();
  return { kind: 'success', user };
}
