import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { digest, randomToken, safeEqual } from '../core/tokens/hash.js';
import type { SessionRecord } from '../storage/types.js';
import type { AppContext } from './context.js';

export const sessionCookie = 'latch_session';
export const browserCookie = 'latch_browser';

function cookieOptions(ctx: AppContext, maxAge?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.issuer.startsWith('https://'),
    ...(maxAge !== undefined ? { maxAge } : {}),
  };
}

/**
 * A random per-browser value in an HttpOnly cookie. Interactions are bound to its digest, and CSRF tokens are an
 * HMAC of it (signed double-submit), so a form or an interaction link only works in the browser that started it.
 */
export function ensureBrowserId(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): string {
  const existing = request.cookies[browserCookie];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const value = randomToken();
  reply.setCookie(browserCookie, value, cookieOptions(ctx));
  request.cookies[browserCookie] = value;
  return value;
}

export function browserId(request: FastifyRequest): string | undefined {
  return request.cookies[browserCookie];
}

export function csrfToken(ctx: AppContext, browser: string): string {
  return createHmac('sha256', ctx.csrfKey).update(`csrf:${browser}`).digest('base64url');
}

export function checkCsrf(ctx: AppContext, request: FastifyRequest, presented: string | undefined): boolean {
  const browser = browserId(request);
  if (!browser || !presented) return false;
  return safeEqual(csrfToken(ctx, browser), presented);
}

export async function currentSession(ctx: AppContext, request: FastifyRequest): Promise<SessionRecord | undefined> {
  const value = request.cookies[sessionCookie];
  if (!value) return undefined;
  return ctx.store.sessions.find(digest(value), ctx.now());
}

/** Starts a new session (a fresh cookie value on every login, so a planted session id is never reused). */
export async function startSession(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  sub: string,
  /** How the person signed in (RFC 8176). */
  amr: readonly string[] = ['pwd'],
): Promise<SessionRecord> {
  // Another person signing in on this browser ends the first one's session: Back-Channel Logout tells its clients.
  const logout = ctx.backchannelLogout;
  const previous = logout ? await currentSession(ctx, request) : undefined;
  const notices = logout && previous && previous.sub !== sub ? await logout.plan({ sub: previous.sub, sids: [previous.sid] }) : [];
  await endSession(ctx, request, reply);
  if (notices.length > 0) logout?.send(notices);
  const now = ctx.now();
  const value = randomToken();
  const session: SessionRecord = {
    idDigest: digest(value),
    sid: randomToken(16),
    sub,
    authTime: now,
    amr: [...amr],
    createdAt: now,
    expiresAt: now + ctx.config.sessionTtl,
  };
  await ctx.store.sessions.create(session);
  reply.setCookie(sessionCookie, value, cookieOptions(ctx, ctx.config.sessionTtl));
  await rotateBrowserId(ctx, request, reply, now);
  return session;
}

/**
 * A new browser value at sign-in, like the session cookie, so that a value planted or seen before the sign-in (and
 * every CSRF token derived from it) is worth nothing after it. The browser's open interactions (other tabs, a device
 * confirmation) follow it in one statement before the new cookie is sent; the old value no longer opens them.
 */
async function rotateBrowserId(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, now: number): Promise<void> {
  const previous = request.cookies[browserCookie];
  const value = randomToken();
  if (previous) await ctx.store.interactions.rebindBrowser(digest(previous), digest(value), now);
  reply.setCookie(browserCookie, value, cookieOptions(ctx));
  request.cookies[browserCookie] = value;
}

export async function endSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const value = request.cookies[sessionCookie];
  if (!value) return;
  await ctx.store.sessions.delete(digest(value));
  reply.clearCookie(sessionCookie, cookieOptions(ctx));
}
