/**
 * What the routes of the accounts that look after themselves share (sign-up, reset, the account page): their
 * settings, page chrome and CSRF answer, the mail to a person in their language, and the answers to a refused form.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PasswordProblem, SignupPolicy } from '../../core/accounts/signup.js';
import { OAuthError } from '../../core/errors.js';
import { type MailBrand, mailBrand, type MailMessage, MailUnavailableError } from '../../mail/index.js';
import type { Actor } from '../../observability/events.js';
import { type Locale, message, negotiateLocale, type PageMessage, waitMessage } from '../../pages/index.js';
import { noticePage, type NoticePageOptions } from '../../pages/pages/account-notice.js';
import type { UserRecord } from '../../storage/types.js';
import { csrfToken, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { lazyChrome, pageChrome, type ResolvedChrome } from '../page-chrome.js';
import { sendErrorPage, sendPage } from '../responses.js';

export const pageRoute = { config: { page: true } } as const;

export function signupPolicy(ctx: AppContext): SignupPolicy {
  return { signup: ctx.config.signup, signupDomains: ctx.config.signupDomains, signupVerify: ctx.config.signupVerify };
}

/** The person acting on their own account (or a stranger at a form: no sub). */
export function personActor(request: FastifyRequest, sub: string | null): Actor {
  return { sub, clientId: null, address: request.ip };
}

export function chromeOf(ctx: AppContext, request: FastifyRequest): Promise<ResolvedChrome> {
  return pageChrome(ctx, request);
}

export function formCsrf(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): string {
  return csrfToken(ctx, ensureBrowserId(ctx, request, reply));
}

/** A string field of a posted form (a repeated or missing one is empty). */
export function field(params: ReadonlyMap<string, string>, name: string): string {
  return params.get(name) ?? '';
}

/** A form posted from another browser or an old page: 403, in words. */
export function sendFormExpired(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const err = new OAuthError('invalid_request', 'The form has expired. Reload the page and try again.', { status: 403 });
  return sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request), message: message('account.form_expired') });
}

/** A page that does not exist here (sign-up off): 404. */
export function sendNotFound(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const err = new OAuthError('invalid_request', 'There is no such page here.', { status: 404 });
  return sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request) });
}

export async function sendNotice(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  options: Omit<NoticePageOptions, keyof ResolvedChrome>,
  status = 200,
): Promise<FastifyReply> {
  return sendPage(reply, noticePage({ ...options, ...(await chromeOf(ctx, request)) }), { status });
}

/** RFC 6585 §4: 429 Too Many Requests with Retry-After, on the page in words. */
export function sendLimited(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, retryAfter: number): Promise<FastifyReply> {
  reply.header('Retry-After', String(retryAfter));
  return sendNotice(ctx, request, reply, { title: 'reset.forgot_title', heading: 'reset.forgot_heading', tone: 'alert', paragraphs: [message('reset.throttled', { wait: waitMessage(retryAfter) })] }, 429);
}

/** Words for a refused new password (core/accounts/signup.ts passwordProblemKind). */
export function passwordProblemMessage(ctx: AppContext, problem: PasswordProblem): PageMessage {
  if (problem === 'short') return message('reset.error_short', { min: ctx.passwords.minLength });
  if (problem === 'long') return message('reset.error_long', { max: ctx.passwords.maxLength });
  return message('reset.error_common');
}

/** The person's language for a mail: their `locale` claim, else the language of the page they are on. */
export function personLocale(request: FastifyRequest, user: Pick<UserRecord, 'profile'> | undefined): Locale {
  const header = request.headers['accept-language'];
  return negotiateLocale({ uiLocales: user?.profile.locale?.replace(/_/g, '-'), acceptLanguage: Array.isArray(header) ? header.join(',') : header });
}

export function brandOf(ctx: AppContext): Promise<MailBrand> {
  return mailBrand(ctx.store, ctx.config);
}

/** An absolute link of the issuer (the only kind a mail carries). */
export function issuerUrl(ctx: AppContext, path: string, query: Record<string, string | undefined> = {}): string {
  const url = new URL(`${ctx.config.issuer}${path}`);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/**
 * Sends a mail and waits for the SMTP server; false (and a 503 page sent) when it cannot be handed over, so the
 * person knows to try again rather than wait for a message that never comes.
 */
export async function sendMailOrPage(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, mail: MailMessage): Promise<boolean> {
  try {
    await ctx.mailer.send(mail);
    return true;
  } catch (err) {
    if (!(err instanceof MailUnavailableError)) throw err;
    request.log.warn({ event: 'mail.unavailable', reason: err.reason }, 'an account mail could not be sent');
    reply.header('Retry-After', String(err.retryAfter));
    await sendNotice(ctx, request, reply, { title: 'error.title', heading: 'error.heading', tone: 'alert', paragraphs: [message('reset.error_unavailable')] }, 503);
    return false;
  }
}

/**
 * Sends a mail without making the answer wait for it, where the answer must not depend on whether a mail goes out
 * (a reset for an address that may or may not have an account): the time taken would tell.
 */
export function sendMailInBackground(request: FastifyRequest, ctx: AppContext, mail: Promise<MailMessage>): void {
  mail
    .then((m) => ctx.mailer.send(m))
    .catch((err: unknown) => request.log.warn({ event: 'mail.unavailable', reason: err instanceof MailUnavailableError ? err.reason : 'error' }, 'an account mail could not be sent'));
}
