/**
 * The first factor of a sign-in at the account pages, kept while the second one is asked (issue 13, security fix):
 * /account/login and /account/confirm check the password, and when the person has a second factor (or LATCH_MFA is
 * required) give no session yet. What they proved is carried in a short-lived HttpOnly cookie, an HMAC (server
 * secret) of the person, the time, a one-time nonce and the purpose, bound to the digest of this browser's value:
 * it cannot be forged, moved to another browser, used after 5 minutes, or used for a second sign-in (the nonce is
 * remembered in the replay store when the factor succeeds). Nothing in it is a bearer of a session.
 */
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasSecondFactor } from '../../core/accounts/mfa-policy.js';
import { ACR_MFA, acrFor, satisfiesAcr } from '../../core/accounts/acr.js';
import { isRecentlyAuthenticated } from '../../core/accounts/recent-auth.js';
import { digest, randomToken, safeEqual } from '../../core/tokens/hash.js';
import type { SessionRecord, UserRecord } from '../../storage/types.js';
import { browserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { checkLoginPassword, type LoginRetry } from '../login-form.js';
import { noStore } from '../responses.js';

export const accountFactorCookie = 'latch_account_factor';
export const ACCOUNT_FACTOR_PATH = '/account/factor';
/** How long the password step waits for the second factor, in seconds. */
export const PENDING_TTL = 300;

/** Why the second factor is asked: a sign-in at /account/login, or confirming it is you at /account/confirm. */
export type PendingPurpose = 'login' | 'confirm';

export interface PendingFactor {
  sub: string;
  /** When the password was checked (seconds). */
  issuedAt: number;
  nonce: string;
  purpose: PendingPurpose;
  /** An account path (safeReturnTo), where the person goes after the factor. */
  returnTo: string;
}

function cookieOptions(ctx: AppContext, maxAge?: number) {
  return { path: '/account', httpOnly: true, sameSite: 'lax' as const, secure: ctx.config.issuer.startsWith('https://'), ...(maxAge !== undefined ? { maxAge } : {}) };
}

function mac(ctx: AppContext, browserDigest: string, payload: string): string {
  return createHmac('sha256', ctx.csrfKey).update(`account-factor:${browserDigest}:${payload}`).digest('base64url');
}

/**
 * Whether a sign-in of this person at the account pages needs a second factor: they have one of their own (asked
 * with a password-only amr, so that the session's own factors do not count), or the operator requires one for all.
 */
export async function needsSecondFactor(ctx: AppContext, sub: string): Promise<boolean> {
  if (ctx.config.mfa === 'required') return true;
  return hasSecondFactor(ctx.store, { sub, amr: ['pwd'] });
}

/**
 * Whether this session may change how the person signs in: a recent authentication (recent-auth.ts) that, for a
 * person with a second factor, reached two factors (acr.ts) - a password alone must not remove or replace a factor.
 */
export async function mayChangeFactors(ctx: AppContext, session: SessionRecord): Promise<boolean> {
  if (!isRecentlyAuthenticated(session, ctx.now())) return false;
  if (satisfiesAcr(acrFor(session.amr), ACR_MFA)) return true;
  return !(await needsSecondFactor(ctx, session.sub));
}

/** Sets the pending first factor for this browser and sends the person to the second-factor page. */
export async function askSecondFactor(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, sub: string, purpose: PendingPurpose, returnTo: string): Promise<FastifyReply> {
  const browser = browserId(request);
  // The CSRF check of the form before this one needs the browser value, so it is there; without it, start again.
  if (!browser) return noStore(reply).redirect(`/account/login?return_to=${encodeURIComponent(returnTo)}`, 303);
  const pending: PendingFactor = { sub, issuedAt: ctx.now(), nonce: randomToken(16), purpose, returnTo };
  const payload = Buffer.from(JSON.stringify(pending)).toString('base64url');
  reply.setCookie(accountFactorCookie, `${payload}.${mac(ctx, digest(browser), payload)}`, cookieOptions(ctx, PENDING_TTL));
  return noStore(reply).redirect(ACCOUNT_FACTOR_PATH, 303);
}

function parse(value: string): PendingFactor | undefined {
  try {
    const data = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { sub, issuedAt, nonce, purpose, returnTo } = data;
    if (typeof sub !== 'string' || typeof issuedAt !== 'number' || typeof nonce !== 'string' || typeof returnTo !== 'string') return undefined;
    if (purpose !== 'login' && purpose !== 'confirm') return undefined;
    return { sub, issuedAt, nonce, purpose, returnTo };
  } catch {
    return undefined;
  }
}

/** The pending first factor of this browser: its own (the MAC binds it), unexpired; undefined otherwise. */
export function readPending(ctx: AppContext, request: FastifyRequest): PendingFactor | undefined {
  const value = request.cookies[accountFactorCookie];
  const browser = browserId(request);
  if (!value || !browser || value.length > 2048) return undefined;
  const [payload, presented, extra] = value.split('.');
  if (!payload || !presented || extra !== undefined) return undefined;
  if (!safeEqual(mac(ctx, digest(browser), payload), presented)) return undefined;
  const pending = parse(payload);
  const now = ctx.now();
  if (!pending || pending.issuedAt > now || now - pending.issuedAt > PENDING_TTL) return undefined;
  return pending;
}

/**
 * Uses the pending first factor once: true for exactly one caller (the replay store remembers the nonce until the
 * value expires anyway), and the cookie is cleared.
 */
export async function consumePending(ctx: AppContext, reply: FastifyReply, pending: PendingFactor): Promise<boolean> {
  reply.clearCookie(accountFactorCookie, cookieOptions(ctx));
  return ctx.store.replay.remember(`account-factor:${pending.nonce}`, pending.issuedAt + PENDING_TTL, ctx.now());
}

export function clearPending(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(accountFactorCookie, cookieOptions(ctx));
}

/**
 * The password step of /account/login (CSRF already checked): the shared password check with its limits and audit
 * events, like login-form.ts submitLoginForm, but without starting a session - the caller decides whether the
 * password is enough. Returns the person, or what the login page shows again.
 */
export function accountPasswordStep(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, params: ReadonlyMap<string, string>): Promise<{ user: UserRecord } | LoginRetry> {
  return checkLoginPassword(ctx, request, reply, params, { clientId: null, via: 'account' });
}
