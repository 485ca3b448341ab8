/**
 * "Forgot password?" (issue 13): a mailed single-use link valid 30 minutes, the same answer whether or not the
 * address has an account, rate limited per network address and per typed address (which is the account, when there
 * is one). A reset ends every session of the person and revokes their grants with every token issued from them.
 */
import type { AccountTokensRepository, GrantsRepository, RateLimitsRepository, SessionsRepository, UserRecord, UsersRepository } from '../../storage/types.js';
import { digest } from '../tokens/hash.js';
import { issueAccountToken, redeemAccountToken } from './account-tokens.js';
import { isDisabled } from './person-scopes.js';

/** Mails asked for per window: per typed address (the account) and per network address. */
export const MAIL_LIMITS = { perAccount: 3, perAddress: 10, window: 15 * 60 } as const;

export type MailLimitResult = { kind: 'ok' } | { kind: 'limited'; retryAfter: number };

/**
 * Counts one request for a mailed link (`purpose`: reset, verify) and says whether it may go out. Keys carry no
 * address in clear; an unknown address counts like a known one, so the limit reveals nothing either.
 */
export async function limitMailRequest(
  rateLimits: Pick<RateLimitsRepository, 'hit'>,
  request: { purpose: 'reset' | 'verify'; email: string; ip: string | undefined },
  now: number,
  limits: { perAccount: number; perAddress: number; window: number } = MAIL_LIMITS,
): Promise<MailLimitResult> {
  const { window } = limits;
  const retryAfter = Math.floor(now / window) * window + window - now;
  const perAccount = await rateLimits.hit(`mail:${request.purpose}:account:${digest(request.email)}`, window, now);
  // RFC 6585 §4: the answer is 429 with Retry-After, whoever asked.
  if (perAccount > limits.perAccount) return { kind: 'limited', retryAfter };
  if (request.ip !== undefined) {
    const perAddress = await rateLimits.hit(`mail:${request.purpose}:address:${request.ip}`, window, now);
    if (perAddress > limits.perAddress) return { kind: 'limited', retryAfter };
  }
  return { kind: 'ok' };
}

export interface ResetRequestDeps {
  users: Pick<UsersRepository, 'findByEmail'>;
  accountTokens: Pick<AccountTokensRepository, 'create' | 'deleteBySub'>;
}

/** A reset link for the account of `email`, when there is one that may sign in; nothing otherwise. */
export async function requestPasswordReset(
  deps: ResetRequestDeps,
  email: string,
  now: number,
): Promise<{ kind: 'link'; user: UserRecord; token: string } | { kind: 'none' }> {
  const user = await deps.users.findByEmail(email);
  if (!user || isDisabled(user)) return { kind: 'none' };
  const { token } = await issueAccountToken(deps.accountTokens, { kind: 'reset_password', sub: user.sub, email: user.email }, now);
  return { kind: 'link', user, token };
}

export interface ResetDeps {
  accountTokens: Pick<AccountTokensRepository, 'consume' | 'deleteBySub'>;
  users: Pick<UsersRepository, 'findBySub'>;
  sessions: Pick<SessionsRepository, 'deleteBySub'>;
  grants: Pick<GrantsRepository, 'revokeBySub'>;
  /** Sets the new password (the admin services' setPassword: the policy, the hash, the event). */
  setPassword(sub: string, password: string): Promise<void>;
}

export type ResetOutcome = { kind: 'done'; user: UserRecord; sessionsEnded: number; grantsRevoked: number } | { kind: 'invalid' };

/**
 * Uses the link (once) to set the new password (already checked against the policy), then ends every session of
 * the person and revokes every grant of theirs with its refresh and access tokens: whoever knew the old password
 * (or held a session or a token got with it) is out.
 */
export async function completePasswordReset(deps: ResetDeps, token: unknown, password: string, now: number): Promise<ResetOutcome> {
  const record = await redeemAccountToken(deps.accountTokens, token, 'reset_password', now);
  if (!record) return { kind: 'invalid' };
  const user = await deps.users.findBySub(record.sub);
  if (!user || isDisabled(user) || user.email !== record.email) return { kind: 'invalid' };
  await deps.setPassword(user.sub, password);
  await deps.accountTokens.deleteBySub(user.sub, 'reset_password');
  const sessionsEnded = await deps.sessions.deleteBySub(user.sub);
  const grantsRevoked = await deps.grants.revokeBySub(user.sub, now);
  return { kind: 'done', user, sessionsEnded, grantsRevoked };
}
