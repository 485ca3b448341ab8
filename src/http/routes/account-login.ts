/**
 * Signing in to the account page and confirming it is you: /account/login?return_to= (the login page of the journey
 * with its password check and limits, then back to the account path it came from) and /account/confirm?return_to=
 * (the password again: a new session with a fresh authentication time, core/accounts/recent-auth.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attemptLogin } from '../../core/accounts/login.js';
import { isRecentlyAuthenticated } from '../../core/accounts/recent-auth.js';
import { recordEvent } from '../../observability/events.js';
import { loginPage, message, type PageMessage, translator, waitMessage } from '../../pages/index.js';
import { accountConfirmPage } from '../../pages/pages/account-confirm.js';
import type { SessionRecord, UserRecord } from '../../storage/types.js';
import { checkCsrf, currentSession, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { loginAccountLinks } from '../interaction-pages.js';
import { noStore, sendPage } from '../responses.js';
import { rehashFailureReporter, throttleDeps, throttleLimits } from '../throttle.js';
import { accountPasswordStep, askSecondFactor, needsSecondFactor } from './account-factor-state.js';
import { chromeOf, formCsrf, pageRoute, personActor, sendFormExpired } from './account-shared.js';

/** Events of the account pages' sign-ins name no application: the person signs in to Latch itself. */
const ACCOUNT_PAGES = '';

// A path of the account pages only (no other path, host, scheme or `//`): return_to can never send anyone elsewhere.
const ACCOUNT_PATH = /^\/account(?:\/[A-Za-z0-9_-]+)*\/?(?:\?[A-Za-z0-9_.~%=&-]*)?$/;

export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && value.length <= 512 && ACCOUNT_PATH.test(value) ? value : '/account';
}

/** The signed-in person of this browser, or a 303 to /account/login that comes back to `path` (undefined then). */
export async function requireSignedIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
  const session = await currentSession(ctx, request);
  const user = session && (await ctx.store.users.findBySub(session.sub));
  if (session && user && user.disabledAt === null) return { session, user };
  await noStore(reply).redirect(`/account/login?return_to=${encodeURIComponent(safeReturnTo(path))}`, 303);
  return undefined;
}

function returnToOf(request: FastifyRequest, params?: ReadonlyMap<string, string>): string {
  return safeReturnTo(params?.get('return_to') ?? (request.query as Record<string, unknown> | undefined)?.return_to);
}

async function renderAccountLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  returnTo: string,
  options: { email?: string; error?: PageMessage; status?: number; unverified?: boolean } = {},
): Promise<FastifyReply> {
  const chrome = await chromeOf(ctx, request);
  const action = '/account/login';
  const body = loginPage({
    action,
    csrf: formCsrf(ctx, request, reply),
    clientName: translator(chrome.locale).text('account.title'),
    ...(options.email !== undefined ? { email: options.email } : {}),
    ...(options.error ? { error: options.error } : {}),
    accountLinks: { ...loginAccountLinks(ctx, action, { unverified: options.unverified }), hidden: { return_to: returnTo } },
    ...chrome,
  });
  return sendPage(reply, body, { status: options.status ?? 200 });
}

async function showLogin(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const returnTo = returnToOf(request);
  if (await currentSession(ctx, request)) return noStore(reply).redirect(returnTo, 303);
  return renderAccountLogin(ctx, request, reply, returnTo);
}

async function login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const returnTo = returnToOf(request, params);
  const step = await accountPasswordStep(ctx, request, reply, params);
  if (!('user' in step)) return renderAccountLogin(ctx, request, reply, returnTo, step);
  // Issue 13 (security fix): a person with a second factor gets no session for the password alone; the factor first.
  if (await needsSecondFactor(ctx, step.user.sub)) return askSecondFactor(ctx, request, reply, step.user.sub, 'login', returnTo);
  // No second factor (and none required): the password is the whole sign-in, as before.
  const session = await startSession(ctx, request, reply, step.user.sub, ['pwd']);
  request.log.info({ event: 'login.succeeded' }, 'login succeeded');
  const data = { sid: session.sid, amr: session.amr, via: 'account' };
  await recordEvent(ctx.store, { type: 'login.succeeded', by: personActor(request, session.sub), sub: session.sub, clientId: ACCOUNT_PAGES, data }, ctx.now(), request.log);
  return noStore(reply).redirect(returnTo, 303);
}

async function renderConfirm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, user: UserRecord, returnTo: string, error?: PageMessage, status = 200) {
  const body = accountConfirmPage({
    action: '/account/confirm',
    csrf: formCsrf(ctx, request, reply),
    email: user.email,
    returnTo,
    ...(error ? { error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status });
}

async function showConfirm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const returnTo = returnToOf(request);
  const signedIn = await requireSignedIn(ctx, request, reply, `/account/confirm?return_to=${encodeURIComponent(returnTo)}`);
  if (!signedIn) return reply;
  return renderConfirm(ctx, request, reply, signedIn.user, returnTo);
}

/** The person's password, checked with the limits of every password check (attemptLogin). */
export async function checkOwnPassword(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, user: UserRecord, password: string): Promise<PageMessage | undefined> {
  const result = await attemptLogin(
    { email: user.email, password, ip: request.ip, now: ctx.now() },
    {
      users: ctx.store.users,
      throttle: throttleDeps(ctx.store.rateLimits, throttleLimits(ctx.config), request.log, ctx.passwordTurns),
      reportRehashFailure: rehashFailureReporter(request.log),
    },
  );
  if (result.kind === 'success' && result.user.sub === user.sub) return undefined;
  if (result.kind === 'throttled') {
    // RFC 6585 §4: 429 with Retry-After.
    reply.header('Retry-After', String(result.retryAfter));
    return message('login.error_throttled', { wait: waitMessage(result.retryAfter) });
  }
  return message('account.error_current_password');
}

async function confirm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const returnTo = returnToOf(request, params);
  const signedIn = await requireSignedIn(ctx, request, reply, `/account/confirm?return_to=${encodeURIComponent(returnTo)}`);
  if (!signedIn) return reply;
  const problem = await checkOwnPassword(ctx, request, reply, signedIn.user, params.get('password') ?? '');
  if (problem) return renderConfirm(ctx, request, reply, signedIn.user, returnTo, problem, reply.getHeader('Retry-After') ? 429 : 401);
  // Issue 13 (security fix): confirming it is you is both factors when the person has a second one.
  if (await needsSecondFactor(ctx, signedIn.user.sub)) return askSecondFactor(ctx, request, reply, signedIn.user.sub, 'confirm', returnTo);
  // A new session (a new cookie, as at every sign-in) with a fresh auth_time; the factors of the old one still count.
  const session = await startSession(ctx, request, reply, signedIn.user.sub, signedIn.session.amr);
  const now = ctx.now();
  await recordEvent(ctx.store, { type: 'session.reauthenticated', by: personActor(request, session.sub), sub: session.sub, data: { sid: session.sid } }, now, request.log);
  return noStore(reply).redirect(returnTo, 303);
}

/** Whether this session may change how the person signs in without confirming first (5 minutes, recent-auth.ts). */
export function recentlyAuthenticated(ctx: AppContext, session: SessionRecord): boolean {
  return isRecentlyAuthenticated(session, ctx.now());
}

export function registerAccountLogin(app: FastifyInstance, ctx: AppContext): void {
  app.get('/account/login', pageRoute, (request, reply) => showLogin(ctx, request, reply));
  app.post('/account/login', pageRoute, (request, reply) => login(ctx, request, reply));
  app.get('/account/confirm', pageRoute, (request, reply) => showConfirm(ctx, request, reply));
  app.post('/account/confirm', pageRoute, (request, reply) => confirm(ctx, request, reply));
}
