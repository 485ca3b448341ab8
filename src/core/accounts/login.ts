import type { NewEvent } from '../../observability/events.js';
import type { UserRecord, UsersRepository } from '../../storage/types.js';
import { dummyVerify, hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import { isDisabled } from './person-scopes.js';
import { digest } from '../tokens/hash.js';
import { enterThrottle, type ThrottleDeps } from './throttle.js';

export interface LoginAttemptDeps {
  users: Pick<UsersRepository, 'findByEmail' | 'replacePasswordHash'>;
  throttle: ThrottleDeps;
  /** Told when the new hash of a successful sign-in could not be stored: the sign-in succeeds all the same. */
  reportRehashFailure(sub: string, error: unknown): void;
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
  | { kind: 'invalid'; user?: UserRecord }
  /** The right password of an account an operator disabled: it cannot sign in. */
  | { kind: 'disabled'; user: UserRecord }
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
    // The user (when the email is known) is for the audit trail only; the answer is the same either way.
    return user ? { kind: 'invalid', user } : { kind: 'invalid' };
  }
  await gate.succeeded();
  // Said only after the right password, so that it reveals nothing to someone guessing.
  if (isDisabled(user)) return { kind: 'disabled', user };
  return { kind: 'success', user: await rehashed(user, attempt, deps) };
}

/**
 * After a successful sign-in only (the failed path does no more work than before): a hash made with other argon2
 * parameters than today's is replaced by one made with today's, from the password just verified, unless a new
 * password was set meanwhile (the store replaces only the hash that was verified). A failure to store it is
 * reported and changes nothing in the answer.
 */
async function rehashed(user: UserRecord, attempt: LoginAttempt, deps: LoginAttemptDeps): Promise<UserRecord> {
  try {
    if (user.passwordHash === null || !(await needsRehash(user.passwordHash))) return user;
    const passwordHash = await hashPassword(attempt.password);
    // updated_at is left as it was: a rehash changes no claim the person or an operator can see.
    if (!(await deps.users.replacePasswordHash(user.sub, user.passwordHash, passwordHash))) return user;
    return { ...user, passwordHash };
  } catch (error) {
    deps.reportRehashFailure(user.sub, error);
    return user;
  }
}

/**
 * The audit event of a sign-in that did not succeed, the same from the login page and the password grant: the
 * person only when the email is theirs (an unknown typed email is never kept), never the password.
 */
export function failedLoginEvent(
  result: Exclude<LoginAttemptResult, { kind: 'success' }>,
  context: { clientId: string | null; address: string | null; via: 'login_page' | 'password_grant' | 'account' },
): NewEvent {
  const { clientId, address, via } = context;
  if (result.kind === 'throttled') return { type: 'login.throttled', clientId, address, data: { retry_after: result.retryAfter, via } };
  if (result.kind === 'disabled') return { type: 'login.failed', sub: result.user.sub, clientId, address, data: { reason: 'account_disabled', via } };
  const sub = result.user?.sub ?? null;
  return { type: 'login.failed', sub, clientId, address, data: { reason: sub ? 'wrong_password' : 'unknown_account', via } };
}
