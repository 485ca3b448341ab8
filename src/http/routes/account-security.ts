/**
 * /account/security (issue 13): a signed-in person's authenticator app, recovery codes and passkeys. Reading needs a
 * session (else /account/login); every change also needs a recent authentication (core/accounts/recent-auth.ts)
 * that reached two factors when the person has a second factor (account-factor-state.ts), else /account/confirm first, so that an unattended signed-in browser cannot be used to take the account over.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACR_PWD, acrFor } from '../../core/accounts/acr.js';
import { amrAfterSecondFactor, OTP_METHODS } from '../../core/accounts/second-factor.js';
import { passkeyMethods, relyingParty, registrationOptions, verifyRegistration } from '../../core/accounts/passkeys.js';
import { isDisabled } from '../../core/accounts/person-scopes.js';
import { regenerateRecoveryCodes } from '../../core/accounts/recovery-codes.js';
import { checkTotp } from '../../core/accounts/totp.js';
import { OAuthError } from '../../core/errors.js';
import { digest } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { accountSecurityPage, accountTotpPage, message, type PageMessage, recoveryCodesPage } from '../../pages/index.js';
import type { SessionRecord, UserRecord } from '../../storage/types.js';
import { browserId, checkCsrf, csrfToken, currentSession, ensureBrowserId, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { pageChrome } from '../page-chrome.js';
import { noStore, sendErrorPage, sendJson, sendPage } from '../responses.js';
import { mayChangeFactors } from './account-factor-state.js';
import { factorKey, passkeyScripts, pendingTotpSecret, totpQr } from './second-factor-page.js';

const page = '/account/security';
const loginUrl = `/account/login?return_to=${encodeURIComponent(page)}`;
const confirmUrl = `/account/confirm?return_to=${encodeURIComponent(page)}`;
const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page and try again.', { status: 403 });

interface Signed {
  session: SessionRecord;
  user: UserRecord;
}

async function signedIn(ctx: AppContext, request: FastifyRequest): Promise<Signed | undefined> {
  const session = await currentSession(ctx, request);
  const user = session && (await ctx.store.users.findBySub(session.sub));
  return session && user && !isDisabled(user) ? { session, user } : undefined;
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, signed: Signed, options: { notice?: PageMessage; error?: PageMessage; status?: number } = {}): Promise<FastifyReply> {
  const { sub, email } = signed.user;
  const [totp, recoveryCodes, passkeys, chrome] = await Promise.all([
    ctx.store.totpSecrets.find(sub),
    ctx.store.recoveryCodes.remaining(sub),
    ctx.store.passkeys.listBySub(sub),
    pageChrome(ctx, request),
  ]);
  const body = accountSecurityPage({
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    email,
    totp: totp?.confirmedAt != null,
    recoveryCodes,
    passkeys: passkeys.map((p) => ({ credentialId: p.credentialId, name: p.name, createdAt: p.createdAt })),
    ...(options.notice ? { notice: options.notice } : {}),
    ...(options.error ? { error: options.error } : {}),
    ...chrome,
  });
  return sendPage(reply, body, { status: options.status ?? 200, scripts: passkeyScripts(ctx), connect: true });
}

async function view(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await signedIn(ctx, request);
  if (!signed) return noStore(reply).redirect(loginUrl, 303);
  const saved = (request.query as Record<string, unknown>).saved === '1';
  return show(ctx, request, reply, signed, saved ? { notice: message('security.saved') } : {});
}

type Change = (signed: Signed, params: ReadonlyMap<string, string>) => Promise<FastifyReply>;

/** A change: signed in, the form of this browser, and a recent authentication; then `change`. */
function changing(ctx: AppContext, change: (request: FastifyRequest, reply: FastifyReply) => Change) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const signed = await signedIn(ctx, request);
    if (!signed) return noStore(reply).redirect(loginUrl, 303);
    const { params } = bodyParams(request);
    if (!checkCsrf(ctx, request, params.get('csrf'))) return sendErrorPage(reply, badCsrf, { chrome: () => pageChrome(ctx, request), message: message('error.form_expired') });
    // Issue 13 (security fix): recent, and two factors for a person who has a second one (account-factor-state.ts).
    if (!(await mayChangeFactors(ctx, signed.session))) return noStore(reply).redirect(confirmUrl, 303);
    return change(request, reply)(signed, params);
  };
}

function event(ctx: AppContext, request: FastifyRequest, sub: string, type: 'factor.enrolled' | 'factor.removed', data: Record<string, string | number>) {
  return recordEvent(ctx.store, { type, by: { sub, clientId: null, address: request.ip }, sub, data: { ...data, via: 'account' } }, ctx.now(), request.log);
}

/**
 * A factor just set up here was proved by its first code or its passkey ceremony, on a session allowed to change
 * factors: like the enrolment in the sign-in journey, the session now states both factors (RFC 8176), so that the
 * person can go on managing them without confirming again at once.
 */
async function provedFactor(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, signed: Signed, proved: readonly string[]): Promise<void> {
  if (acrFor(signed.session.amr) !== ACR_PWD) return;
  await startSession(ctx, request, reply, signed.user.sub, amrAfterSecondFactor(signed.session.amr, proved));
}

async function totpPage(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, signed: Signed, error?: PageMessage): Promise<FastifyReply> {
  const secret = await pendingTotpSecret(ctx, signed.user.sub);
  // A confirmed app is removed before another one is set up.
  if (!secret) return noStore(reply).redirect(page, 303);
  const chrome = await pageChrome(ctx, request);
  const totp = { qr: await totpQr(ctx, secret, signed.user.email, chrome.branding.productName ?? 'Latch'), secret, action: `${page}/totp/confirm` };
  const body = accountTotpPage({ csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)), totp, ...(error ? { error } : {}), ...chrome });
  return sendPage(reply, body, { status: error ? 400 : 200 });
}

async function codesPage(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, sub: string): Promise<FastifyReply> {
  const codes = await regenerateRecoveryCodes(sub, ctx.store.recoveryCodes, ctx.now());
  return sendPage(reply, recoveryCodesPage({ codes, next: page, ...(await pageChrome(ctx, request)) }));
}

/** A credential id from the URL: base64url, bounded. */
function credentialParam(request: FastifyRequest): string | undefined {
  const { id } = request.params as { id: string };
  return /^[A-Za-z0-9_-]{1,1024}$/.test(id) ? id : undefined;
}

async function passkeyJson(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, kind: 'options' | 'verify'): Promise<FastifyReply> {
  const body = (typeof request.body === 'object' && request.body !== null && !(request.body instanceof URLSearchParams) ? request.body : {}) as Record<string, unknown>;
  const signed = await signedIn(ctx, request);
  if (!signed) return sendJson(reply, { redirect: loginUrl });
  const browser = browserId(request);
  if (!browser || !checkCsrf(ctx, request, typeof body.csrf === 'string' ? body.csrf : undefined)) return sendJson(reply, { error: 'The page has expired. Reload it and try again.' }, 403);
  if (!(await mayChangeFactors(ctx, signed.session))) return sendJson(reply, { redirect: confirmUrl });
  const deps = { passkeys: ctx.store.passkeys, rp: relyingParty(ctx.config.issuer, ctx.config.brandName ?? 'Latch'), now: ctx.now() };
  if (kind === 'options') return sendJson(reply, { options: await registrationOptions(deps, signed.user, digest(browser)) });
  if (typeof body.response !== 'object' || body.response === null) return sendJson(reply, { error: 'The passkey did not answer.' }, 400);
  const result = await verifyRegistration(deps, signed.user.sub, body.response as RegistrationResponseJSON, digest(browser), typeof body.name === 'string' ? body.name : '');
  if (result.kind !== 'ok') {
    request.log.info({ event: 'factor.enrol_failed', reason: result.reason }, 'passkey registration failed');
    return sendJson(reply, { error: 'The passkey could not be created.' }, 400);
  }
  await event(ctx, request, signed.user.sub, 'factor.enrolled', { method: 'passkey', name: result.value.passkey.name });
  await provedFactor(ctx, request, reply, signed, passkeyMethods(result.value.passkey.deviceType, result.value.userVerified));
  return sendJson(reply, { redirect: `${page}?saved=1` });
}

export function registerAccountSecurity(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.get(page, options, (request, reply) => view(ctx, request, reply));

  app.post(`${page}/totp/start`, options, changing(ctx, (request, reply) => async (signed) => totpPage(ctx, request, reply, signed)));
  app.post(
    `${page}/totp/confirm`,
    options,
    changing(ctx, (request, reply) => async (signed, params) => {
      const record = await ctx.store.totpSecrets.find(signed.user.sub);
      const checked = record ? await checkTotp(record, params.get('code') ?? '', { totpSecrets: ctx.store.totpSecrets, key: factorKey(ctx), now: ctx.now() }, true) : 'invalid';
      if (checked !== 'accepted') return totpPage(ctx, request, reply, signed, message('factor.error_invalid'));
      await event(ctx, request, signed.user.sub, 'factor.enrolled', { method: 'totp' });
      await provedFactor(ctx, request, reply, signed, OTP_METHODS);
      return codesPage(ctx, request, reply, signed.user.sub);
    }),
  );
  app.post(
    `${page}/totp/remove`,
    options,
    changing(ctx, (request, reply) => async (signed) => {
      if (await ctx.store.totpSecrets.delete(signed.user.sub)) await event(ctx, request, signed.user.sub, 'factor.removed', { method: 'totp' });
      return noStore(reply).redirect(`${page}?saved=1`, 303);
    }),
  );
  app.post(`${page}/recovery/regenerate`, options, changing(ctx, (request, reply) => async (signed) => codesPage(ctx, request, reply, signed.user.sub)));
  app.post(
    `${page}/passkeys/:id/rename`,
    options,
    changing(ctx, (request, reply) => async (signed, params) => {
      const id = credentialParam(request);
      const name = (params.get('name') ?? '').trim();
      if (!id || name.length < 1 || name.length > 64) return show(ctx, request, reply, signed, { error: message('security.error_name'), status: 400 });
      await ctx.store.passkeys.rename(signed.user.sub, id, name);
      return noStore(reply).redirect(`${page}?saved=1`, 303);
    }),
  );
  app.post(
    `${page}/passkeys/:id/remove`,
    options,
    changing(ctx, (request, reply) => async (signed) => {
      const id = credentialParam(request);
      // Only the person's own passkey: the store matches the credential and the sub together.
      if (id && (await ctx.store.passkeys.delete(signed.user.sub, id))) await event(ctx, request, signed.user.sub, 'factor.removed', { method: 'passkey' });
      return noStore(reply).redirect(`${page}?saved=1`, 303);
    }),
  );
  const json = { bodyLimit: 16384 };
  app.post(`${page}/passkey/register-options`, json, (request, reply) => passkeyJson(ctx, request, reply, 'options'));
  app.post(`${page}/passkey/register`, json, (request, reply) => passkeyJson(ctx, request, reply, 'verify'));
}
