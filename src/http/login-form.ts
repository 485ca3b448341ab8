import type { FastifyReply, FastifyRequest } from 'fastify';
import { mustVerifyBeforeSignIn } from '../core/accounts/email-verification.js';
import { attemptLogin, failedLoginEvent, normalizeEmail } from '../core/accounts/login.js';
import { recordEvent } from '../observability/events.js';
import type { InteractionRecord, InteractionsRepository, UserRecord } from '../storage/types.js';
import { startSession } from './cookies.js';
import type { AppContext } from './context.js';
import { message, type PageMessage, waitMessage } from '../pages/index.js';
import { rehashFailureReporter, throttleDeps, throttleLimits } from './throttle.js';

/** What a login page shows again when the login did not succeed. */
export interface LoginRetry {
  email: string;
  /** In the catalogues' words, so the page shows it in the person's language. */
  error: PageMessage;
  status: number;
  /** The right password of an account whose address is not verified yet (the page offers to send the link again). */
  unverified?: boolean;
}

/** Shown to a person whose account an operator disabled (only after the right password). */
export const accountDisabled = (): PageMessage => message('login.error_disabled');

/**
 * The password of a submitted login form (CSRF already checked): the shared check with its rate limits, and an audit
 * event for every refusal (the person when the email is known, the client, the address; never what was typed).
 * Returns the person, or what the login page shows again. Starts no session: the caller decides what the password is
 * enough for (the journey's interaction, or the account pages that may ask a second factor first).
 */
export async function checkLoginPassword(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: ReadonlyMap<string, string>,
  context: { clientId: string | null; via: 'login_page' | 'account' },
): Promise<{ user: UserRecord } | LoginRetry> {
  const email = normalizeEmail(params.get('email') ?? '');
  const now = ctx.now();
  const result = await attemptLogin(
    { email, password: params.get('password') ?? '', ip: request.ip, now },
    {
      users: ctx.store.users,
      throttle: throttleDeps(ctx.store.rateLimits, throttleLimits(ctx.config), request.log, ctx.passwordTurns),
      reportRehashFailure: rehashFailureReporter(request.log),
    },
  );
  const address = request.ip;
  const { clientId, via } = context;
  if (result.kind !== 'success') {
    request.log.info({ event: result.kind === 'throttled' ? 'login.throttled' : 'login.failed', reason: result.kind }, 'login failed');
    await recordEvent(ctx.store, failedLoginEvent(result, { clientId, address, via }), now, request.log);
  }
  if (result.kind === 'throttled') {
    // RFC 6585 §4: 429 Too Many Requests, with Retry-After.
    reply.header('Retry-After', String(result.retryAfter));
    return { email, error: message('login.error_throttled', { wait: waitMessage(result.retryAfter) }), status: 429 };
  }
  if (result.kind === 'invalid') return { email, error: message('login.error_invalid'), status: 401 };
  if (result.kind === 'disabled') return { email, error: accountDisabled(), status: 403 };
  // Said only after the right password, like a disabled account (issue 13: verification before sign-in).
  if (mustVerifyBeforeSignIn(ctx.config, result.user)) {
    const data = { reason: 'email_unverified', via };
    await recordEvent(ctx.store, { type: 'login.failed', sub: result.user.sub, clientId, address, data }, now, request.log);
    return { email, error: message('signup.error_unverified'), status: 403, unverified: true };
  }
  return { user: result.user };
}

/**
 * A submitted login form of an interaction (CSRF already checked): the password check, then a new session recorded
 * on the interaction. Returns undefined on success, or what to show on the login page again.
 */
export async function submitLoginForm(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: ReadonlyMap<string, string>,
  interaction: Pick<InteractionRecord, 'idDigest' | 'result' | 'clientId'>,
  interactions: Pick<InteractionsRepository, 'updateResult'> = ctx.store.interactions,
): Promise<LoginRetry | undefined> {
  const clientId = interaction.clientId;
  const checked = await checkLoginPassword(ctx, request, reply, params, { clientId, via: 'login_page' });
  if (!('user' in checked)) return checked;
  const session = await startSession(ctx, request, reply, checked.user.sub);
  await interactions.updateResult(interaction.idDigest, { ...interaction.result, sub: session.sub, sid: session.sid, authTime: session.authTime, amr: session.amr });
  request.log.info({ event: 'login.succeeded' }, 'login succeeded');
  const by = { sub: session.sub, clientId: null, address: request.ip };
  await recordEvent(ctx.store, { type: 'login.succeeded', by, sub: session.sub, clientId, data: { sid: session.sid, amr: session.amr } }, ctx.now(), request.log);
  return undefined;
}
