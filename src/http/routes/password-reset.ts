/**
 * "Forgot password?" (issue 13): GET/POST /password/forgot always answer the same ("if an account exists we sent
 * a link"), rate limited per typed address and per network address (429); GET/POST /password/reset?token= set
 * the new password with the mailed single-use link (30 minutes), end every session and revoke every grant.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setPassword } from '../../admin/users.js';
import { peekAccountToken, validMinutes } from '../../core/accounts/account-tokens.js';
import { completePasswordReset, limitMailRequest, requestPasswordReset } from '../../core/accounts/password-reset.js';
import { cleanEmail, passwordProblemKind } from '../../core/accounts/signup.js';
import { passwordChangedMessage, resetPasswordMessage } from '../../mail/index.js';
import { recordEvent } from '../../observability/events.js';
import { message, type PageMessage } from '../../pages/index.js';
import { forgotPasswordPage, resetPasswordPage } from '../../pages/pages/reset.js';
import { checkCsrf, endSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { sendPage } from '../responses.js';
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
  sendMailInBackground,
  sendNotice,
} from './account-shared.js';

async function renderForgot(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, options: { email?: string; error?: PageMessage; status?: number } = {}) {
  const body = forgotPasswordPage({
    action: '/password/forgot',
    csrf: formCsrf(ctx, request, reply),
    loginHref: '/account/login',
    ...(options.email !== undefined ? { email: options.email } : {}),
    ...(options.error ? { error: options.error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: options.status ?? 200 });
}

async function forgot(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const email = cleanEmail(params.get('email'));
  if (!email) return renderForgot(ctx, request, reply, { email: field(params, 'email'), error: message('reset.error_email'), status: 400 });
  const now = ctx.now();
  const limit = await limitMailRequest(ctx.store.rateLimits, { purpose: 'reset', email, ip: request.ip }, now);
  if (limit.kind === 'limited') return sendLimited(ctx, request, reply, limit.retryAfter);
  const outcome = await requestPasswordReset({ users: ctx.store.users, accountTokens: ctx.store.accountTokens }, email, now);
  if (outcome.kind === 'link') {
    const { user, token } = outcome;
    await recordEvent(ctx.store, { type: 'password.reset_requested', by: personActor(request, null), sub: user.sub }, now, request.log);
    const link = issuerUrl(ctx, '/password/reset', { token });
    const recipient = { to: user.email, locale: personLocale(request, user) };
    // Not awaited: the answer takes as long whether or not a mail goes out.
    sendMailInBackground(request, ctx, brandOf(ctx).then((brand) => resetPasswordMessage(brand, recipient, { link, validMinutes: validMinutes('reset_password') })));
  }
  return sendNotice(ctx, request, reply, {
    title: 'reset.sent_title',
    heading: 'reset.sent_heading',
    paragraphs: [message('reset.sent_lead', { email, minutes: validMinutes('reset_password') })],
    link: { href: '/account/login', label: 'reset.back' },
  });
}

function invalidLink(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendNotice(ctx, request, reply, { title: 'reset.title', heading: 'reset.heading', tone: 'alert', paragraphs: [message('reset.invalid')], link: { href: '/password/forgot', label: 'reset.ask_again' } }, 400);
}

async function renderReset(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, token: string, email: string, error?: PageMessage) {
  const body = resetPasswordPage({
    action: '/password/reset',
    csrf: formCsrf(ctx, request, reply),
    token,
    email,
    minLength: ctx.passwords.minLength,
    ...(error ? { error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: error ? 400 : 200 });
}

async function showReset(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  const record = await peekAccountToken(ctx.store.accountTokens, token, 'reset_password', ctx.now());
  if (!record || typeof token !== 'string') return invalidLink(ctx, request, reply);
  return renderReset(ctx, request, reply, token, record.email);
}

async function reset(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
  const token = field(params, 'token');
  const now = ctx.now();
  const record = await peekAccountToken(ctx.store.accountTokens, token, 'reset_password', now);
  if (!record) return invalidLink(ctx, request, reply);
  const password = field(params, 'password');
  // Checked before the link is used, so a refused password leaves the link working.
  if (password !== field(params, 'password2')) return renderReset(ctx, request, reply, token, record.email, message('reset.error_mismatch'));
  const problem = passwordProblemKind(ctx.passwords, password);
  if (problem) return renderReset(ctx, request, reply, token, record.email, passwordProblemMessage(ctx, problem));
  // Back-Channel Logout (issue 15): the reset ends every session of the person; their clients are told once it has.
  const sids = ctx.backchannelLogout ? (await ctx.store.sessions.listBySub(record.sub, now)).map((s) => s.sid) : [];
  const notices = sids.length > 0 && ctx.backchannelLogout ? await ctx.backchannelLogout.plan({ sub: record.sub, sids }) : [];
  const outcome = await completePasswordReset(
    {
      accountTokens: ctx.store.accountTokens,
      users: ctx.store.users,
      sessions: ctx.store.sessions,
      grants: ctx.store.grants,
      setPassword: async (sub, value) => void (await setPassword(ctx.store, ctx.passwords, sub, value, now, personActor(request, sub))),
    },
    token,
    password,
    now,
  );
  if (outcome.kind !== 'done') return invalidLink(ctx, request, reply);
  ctx.backchannelLogout?.send(notices);
  const { user, sessionsEnded, grantsRevoked } = outcome;
  await recordEvent(ctx.store, { type: 'password.reset', by: personActor(request, user.sub), sub: user.sub, data: { sessions_ended: sessionsEnded, grants_revoked: grantsRevoked } }, now, request.log);
  await endSession(ctx, request, reply);
  const recipient = { to: user.email, locale: personLocale(request, user) };
  sendMailInBackground(request, ctx, brandOf(ctx).then((brand) => passwordChangedMessage(brand, recipient, { resetLink: issuerUrl(ctx, '/password/forgot') })));
  return sendNotice(ctx, request, reply, { title: 'reset.done_title', heading: 'reset.done_heading', paragraphs: [message('reset.done_lead')], link: { href: '/account', label: 'signup.continue' } });
}

export function registerPasswordReset(app: FastifyInstance, ctx: AppContext): void {
  app.get('/password/forgot', pageRoute, (request, reply) => renderForgot(ctx, request, reply));
  app.post('/password/forgot', pageRoute, (request, reply) => forgot(ctx, request, reply));
  app.get('/password/reset', pageRoute, (request, reply) => showReset(ctx, request, reply));
  app.post('/password/reset', pageRoute, (request, reply) => reset(ctx, request, reply));
}
