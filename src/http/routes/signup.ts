/**
 * Sign-up (issue 13): GET/POST /signup, when LATCH_SIGNUP=open (404 otherwise), inside the sign-in journey of an
 * application (`?interaction=`) or on its own; GET /verify-email (the mailed link); POST /verify-email/resend.
 * An address that has an account already gets the same page, and its owner a mail saying someone tried.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createUser } from '../../admin/users.js';
import { issueAccountToken, isTokenShaped, validMinutes } from '../../core/accounts/account-tokens.js';
import { mustVerifyBeforeSignIn, verifyEmailLink } from '../../core/accounts/email-verification.js';
import { limitMailRequest } from '../../core/accounts/password-reset.js';
import { checkSignup, cleanEmail, type SignupCheck, signUp, signupOpen } from '../../core/accounts/signup.js';
import { clientName, isBoundTo } from '../../core/interaction/record.js';
import { digest } from '../../core/tokens/hash.js';
import { signupAttemptMessage, verifyEmailMessage } from '../../mail/index.js';
import { recordEvent } from '../../observability/events.js';
import { message, type PageMessage } from '../../pages/index.js';
import { signupPage } from '../../pages/pages/signup.js';
import type { UserRecord } from '../../storage/types.js';
import { browserId, checkCsrf, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { noStore, sendPage } from '../responses.js';
import {
  brandOf,
  chromeOf,
  field,
  formCsrf,
  issuerUrl,
  pageRoute,
  passwordProblemMessage,
  personActor,
  personLocale,
  sendFormExpired,
  sendLimited,
  sendMailOrPage,
  sendNotFound,
  sendNotice,
  signupPolicy,
} from './account-shared.js';

/** The sign-in journey the person came from, when it is still theirs (bound to this browser, not expired). */
async function journeyOf(ctx: AppContext, request: FastifyRequest, id: string | undefined) {
  if (!isTokenShaped(id)) return undefined;
  const record = await ctx.store.interactions.find(digest(id), ctx.now());
  const browser = browserId(request);
  if (!record || record.kind !== 'authorize' || !isBoundTo(record, browser === undefined ? undefined : digest(browser))) return undefined;
  const client = await ctx.store.clients.find(record.clientId);
  return client && { id, record, clientName: clientName(client) };
}

function interactionParam(request: FastifyRequest, params?: ReadonlyMap<string, string>): string | undefined {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.interaction;
  const value = params?.get('interaction') ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
  return isTokenShaped(value) ? value : undefined;
}

async function renderSignup(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  journey: Awaited<ReturnType<typeof journeyOf>>,
  options: { email?: string; name?: string; error?: PageMessage; status?: number } = {},
): Promise<FastifyReply> {
  const query = journey ? `?interaction=${journey.id}` : '';
  const body = signupPage({
    action: `/signup${query}`,
    csrf: formCsrf(ctx, request, reply),
    clientName: journey?.clientName,
    loginHref: journey ? `/interaction/${journey.id}` : '/account/login',
    minLength: ctx.passwords.minLength,
    ...(options.email !== undefined ? { email: options.email } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.error ? { error: options.error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: options.status ?? 200 });
}

function refusal(ctx: AppContext, check: Exclude<SignupCheck, { kind: 'ok' }>): PageMessage {
  if (check.kind === 'invalid_email') return message('signup.error_email');
  if (check.kind === 'domain_not_allowed') return message('signup.error_domain');
  if (check.kind === 'invalid_name') return message('signup.error_name');
  if (check.kind === 'password') return passwordProblemMessage(ctx, check.problem);
  return message('error.generic');
}

/** Mails the link that verifies `user`'s address (and carries the journey to continue, bound to this browser). */
async function verificationMail(ctx: AppContext, request: FastifyRequest, user: UserRecord, interaction: string | undefined) {
  const now = ctx.now();
  const { token } = await issueAccountToken(ctx.store.accountTokens, { kind: 'verify_email', sub: user.sub, email: user.email }, now);
  const link = issuerUrl(ctx, '/verify-email', { token, interaction });
  return verifyEmailMessage(await brandOf(ctx), { to: user.email, locale: personLocale(request, user) }, { link, validMinutes: validMinutes('verify_email') });
}

function sentPage(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, email: string): Promise<FastifyReply> {
  return sendNotice(ctx, request, reply, { title: 'signup.sent_title', heading: 'signup.sent_heading', paragraphs: [message('signup.sent_lead', { email }), message('signup.sent_note')] });
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!signupOpen(ctx.config)) return sendNotFound(ctx, request, reply);
  return renderSignup(ctx, request, reply, await journeyOf(ctx, request, interactionParam(request)));
}

async function submit(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!signupOpen(ctx.config)) return sendNotFound(ctx, request, reply);
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const journey = await journeyOf(ctx, request, interactionParam(request, params));
  const policy = signupPolicy(ctx);
  const check = checkSignup({ email: field(params, 'email'), password: field(params, 'password'), name: field(params, 'name') }, policy, ctx.passwords);
  if (check.kind !== 'ok') {
    return renderSignup(ctx, request, reply, journey, { email: field(params, 'email'), name: field(params, 'name'), error: refusal(ctx, check), status: 400 });
  }
  const now = ctx.now();
  const by = personActor(request, null);
  const limit = await limitMailRequest(ctx.store.rateLimits, { purpose: 'verify', email: check.email, ip: request.ip }, now);
  if (limit.kind === 'limited') return sendLimited(ctx, request, reply, limit.retryAfter);
  const outcome = await signUp(check, policy, {
    users: ctx.store.users,
    createUser: (input) => createUser(ctx.store, ctx.passwords, input, now, by),
  });
  if (outcome.kind === 'exists') {
    // The same page as for a new address; the owner hears of it (and how to reset a forgotten password).
    const recipient = { to: outcome.user.email, locale: personLocale(request, outcome.user) };
    const mail = signupAttemptMessage(await brandOf(ctx), recipient, { resetLink: issuerUrl(ctx, '/password/forgot') });
    if (!(await sendMailOrPage(ctx, request, reply, mail))) return reply;
    return sentPage(ctx, request, reply, check.email);
  }
  const user = outcome.user;
  await recordEvent(ctx.store, { type: 'user.signed_up', by: { ...by, sub: user.sub }, sub: user.sub, ...(journey ? { clientId: journey.record.clientId } : {}) }, now, request.log);
  if (!(await sendMailOrPage(ctx, request, reply, await verificationMail(ctx, request, user, journey?.id)))) return reply;
  if (mustVerifyBeforeSignIn(policy, user)) return sentPage(ctx, request, reply, check.email);
  // No verification asked: the new account is signed in and continues where it came from.
  const session = await startSession(ctx, request, reply, user.sub);
  if (!journey) return noStore(reply).redirect('/account', 303);
  await ctx.store.interactions.updateResult(journey.record.idDigest, { ...journey.record.result, sub: session.sub, sid: session.sid, authTime: session.authTime, amr: session.amr });
  return noStore(reply).redirect(`/interaction/${journey.id}`, 303);
}

async function verify(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const now = ctx.now();
  const outcome = await verifyEmailLink({ accountTokens: ctx.store.accountTokens, users: ctx.store.users }, query.token, now);
  if (outcome.kind !== 'verified') {
    const words = outcome.kind === 'taken' ? message('signup.verify_taken') : message('signup.verify_invalid');
    return sendNotice(ctx, request, reply, { title: 'signup.verified_title', heading: 'error.heading', tone: 'alert', paragraphs: [words], link: { href: '/account', label: 'signup.continue' } }, 400);
  }
  const { user } = outcome;
  const by = personActor(request, user.sub);
  if (outcome.changed) {
    await recordEvent(ctx.store, { type: 'user.email_changed', by, sub: user.sub, data: { previous_email_digest: digest(outcome.previousEmail) } }, now, request.log);
  } else {
    await recordEvent(ctx.store, { type: 'user.email_verified', by, sub: user.sub }, now, request.log);
  }
  const interaction = isTokenShaped(query.interaction) ? query.interaction : undefined;
  const journey = await journeyOf(ctx, request, interaction);
  return sendNotice(ctx, request, reply, {
    title: 'signup.verified_title',
    heading: 'signup.verified_heading',
    paragraphs: [message(outcome.changed ? 'signup.email_changed_lead' : 'signup.verified_lead', { email: user.email })],
    link: { href: journey ? `/interaction/${journey.id}` : '/account', label: 'signup.continue' },
  });
}

/** "Send the link again", from the login page of an unverified account: the same answer whatever the address. */
async function resend(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const email = cleanEmail(params.get('email'));
  const now = ctx.now();
  if (email) {
    const limit = await limitMailRequest(ctx.store.rateLimits, { purpose: 'verify', email, ip: request.ip }, now);
    if (limit.kind === 'limited') return sendLimited(ctx, request, reply, limit.retryAfter);
    const user = await ctx.store.users.findByEmail(email);
    if (user && mustVerifyBeforeSignIn(signupPolicy(ctx), user)) {
      if (!(await sendMailOrPage(ctx, request, reply, await verificationMail(ctx, request, user, undefined)))) return reply;
    }
  }
  return sendNotice(ctx, request, reply, { title: 'signup.sent_title', heading: 'signup.sent_heading', paragraphs: [message('signup.resent')] });
}

export function registerSignup(app: FastifyInstance, ctx: AppContext): void {
  app.get('/signup', pageRoute, (request, reply) => show(ctx, request, reply));
  app.post('/signup', pageRoute, (request, reply) => submit(ctx, request, reply));
  app.get('/verify-email', pageRoute, (request, reply) => verify(ctx, request, reply));
  app.post('/verify-email/resend', pageRoute, (request, reply) => resend(ctx, request, reply));
}
