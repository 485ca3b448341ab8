import type { RateLimitsRepository, UserRecord, UsersRepository } from '../storage/types.js';
import { dummyVerify, verifyPassword } from './passwords.js';
import { digest } from './tokens/hash.js';

/** How many password attempts are allowed, per account and (10x) per client address, within a window. */
export interface LoginLimits {
  maxAttempts: number;
  /** Seconds. */
  window: number;
}

export interface LoginAttemptDeps {
  users: Pick<UsersRepository, 'findByEmail'>;
  rateLimits: Pick<RateLimitsRepository, 'hit' | 'reset'>;
  limits: LoginLimits;
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
  | { kind: 'rate_limited'; retryAfterMinutes: number };

/** Emails are compared trimmed and lower-cased, as they are stored. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * One password check, shared by the login page and the password grant so both count against the same limits.
 * RFC 6749 §4.3.2 / §10.10: the server MUST protect the endpoint against brute force attacks (rate limits
 * per account, and more loosely per address). The same work and the same answer for an unknown account and a
 * wrong password, so the result does not reveal which accounts exist.
 */
export async function attemptLogin(attempt: LoginAttempt, deps: LoginAttemptDeps): Promise<LoginAttemptResult> {
  const email = normalizeEmail(attempt.email);
  const { maxAttempts, window } = deps.limits;
  const accountKey = `login:account:${digest(email)}`;
  const accountHits = await deps.rateLimits.hit(accountKey, window, attempt.now);
  const addressHits = attempt.ip === undefined ? 0 : await deps.rateLimits.hit(`login:ip:${attempt.ip}`, window, attempt.now);
  if (accountHits > maxAttempts || addressHits > maxAttempts * 10) {
    return { kind: 'rate_limited', retryAfterMinutes: Math.ceil(window / 60) };
  }
  const user = email ? await deps.users.findByEmail(email) : undefined;
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, attempt.password) : await dummyVerify(attempt.password);
  if (!user || !ok) return { kind: 'invalid' };
  await deps.rateLimits.reset(accountKey);
  return { kind: 'success', user };
}
