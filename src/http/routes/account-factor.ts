/**
 * The second factor of a sign-in at the account pages (issue 13, security fix): after the password at /account/login
 * or /account/confirm, a person with a second factor (or everyone, LATCH_MFA=required) proves it here - a TOTP code,
 * a recovery code or a passkey, or enrols one when they have none - before any session is given. The same core
 * functions, page templates, throttle ('second_factor', shared with the sign-in journey) and events as the journey
 * (second-factor.ts); the pending first factor is account-factor-state.ts.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACR_MFA, type AcrValue } from '../../core/accounts/acr.js';
import { authenticationOptions, passkeyMethods, registrationOptions, relyingParty, verifyAuthentication, verifyRegistration } from '../../core/accounts/passkeys.js';
import { isDisabled } from '../../core/accounts/person-scopes.js';
import { regenerateRecoveryCodes, useRecoveryCode } from '../../core/accounts/recovery-codes.js';
import { amrAfterSecondFactor, enrolledFactors, type FactorPlan, OTP_METHODS, planSecondFactor } from '../../core/accounts/second-factor.js';
import { enterThrottle, type ThrottleGate } from '../../core/accounts/throttle.js';
import { checkTotp } from '../../core/accounts/totp.js';
import { digest } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { message, type PageMessage, recoveryCodesPage, translator, waitMessage } from '../../pages/index.js';
import { enrolFactorPage, type PasskeyCeremony, secondFactorPage } from '../../pages/pages/second-factor.js';
import type { UserRecord } from '../../storage/types.js';
import { browserId, checkCsrf, csrfToken, currentSession, ensureBrowserId, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { pageChrome } from '../page-chrome.js';
import { noStore, sendJson, sendPage } from '../responses.js';
import { throttleDeps, throttleLimits } from '../throttle.js';
import { ACCOUNT_FACTOR_PATH as base, consumePending, type PendingFactor, readPending } from './account-factor-state.js';
import { pageRoute, personActor, sendFormExpired } from './account-shared.js';
import { factorKey, passkeyScripts, pendingTotpSecret, totpQr } from './second-factor-page.js';

/** Two factors: what a sign-in at the account pages must reach when a second factor is asked. */
const REQUIRED = ACR_MFA as AcrValue;

interface Pending {
  pending: PendingFactor;
  user: UserRecord;
}

/**
 * The pending first factor of this browser and its person (still enabled); for a confirmation, the person must still
 * be the one signed in here. Undefined otherwise.
 */
async function load(ctx: AppContext, request: FastifyRequest): Promise<Pending | undefined> {
  const pending = readPending(ctx, request);
  const user = pending && (await ctx.store.users.findBySub(pending.sub));
  if (!pending || !user || isDisabled(user)) return undefined;
  if (pending.purpose === 'confirm' && (await currentSession(ctx, request))?.sub !== user.sub) return undefined;
  return { pending, user };
}

function startAgain(reply: FastifyReply, returnTo = '/account'): FastifyReply {
  return noStore(reply).redirect(`/account/login?return_to=${encodeURIComponent(returnTo)}`, 303);
}

async function planOf(ctx: AppContext, sub: string): Promise<FactorPlan> {
  return planSecondFactor(await enrolledFactors(ctx.store, sub), REQUIRED);
}

async function render(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, state: Pending, options: { error?: PageMessage; status?: number } = {}): Promise<FastifyReply> {
  const plan = await planOf(ctx, state.user.sub);
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const chrome = await pageChrome(ctx, request);
  const common = { clientName: translator(chrome.locale).text('account.title'), csrf, ...(options.error ? { error: options.error } : {}), ...chrome };
  let body: string;
  if (plan.kind === 'ask') {
    const passkey: PasskeyCeremony = { options: `${base}/passkey/authenticate-options`, verify: `${base}/passkey/authenticate`, mode: 'factor' };
    body = secondFactorPage({
      ...common,
      ...(plan.methods.includes('totp') ? { totp: `${base}/totp` } : {}),
      ...(plan.methods.includes('recovery') ? { recovery: `${base}/recovery` } : {}),
      ...(plan.methods.includes('passkey') ? { passkey } : {}),
    });
  } else {
    const secret = plan.methods.includes('totp') ? await pendingTotpSecret(ctx, state.user.sub) : undefined;
    const passkey: PasskeyCeremony = { options: `${base}/passkey/register-options`, verify: `${base}/passkey/register`, mode: 'enrol' };
    body = enrolFactorPage({
      ...common,
      passkey,
      passkeyOnly: !plan.methods.includes('totp'),
      ...(secret ? { totp: { qr: await totpQr(ctx, secret, state.user.email, chrome.branding.productName ?? 'Latch'), secret, action: `${base}/totp-enrol` } } : {}),
    });
  }
  return sendPage(reply, body, { status: options.status ?? 200, scripts: passkeyScripts(ctx), connect: true });
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const state = await load(ctx, request);
  if (!state) return startAgain(reply);
  return render(ctx, request, reply, state);
}

function gateOf(ctx: AppContext, request: FastifyRequest, sub: string): Promise<ThrottleGate> {
  // RFC 6238 §5.2 / RFC 4226 §7.3: the verifier MUST throttle guesses; the journey's limits and counters.
  return enterThrottle({ kind: 'second_factor', subject: sub, address: request.ip, now: ctx.now() }, throttleDeps(ctx.store.rateLimits, throttleLimits(ctx.config), request.log));
}

function failed(ctx: AppContext, request: FastifyRequest, sub: string, method: string): Promise<void> {
  return recordEvent(ctx.store, { type: 'factor.failed', by: { sub: null, clientId: null, address: request.ip }, sub, data: { method, via: 'account' } }, ctx.now(), request.log);
}

function throttled(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, sub: string, retryAfter: number): Promise<void> {
  // RFC 6585 §4: 429 Too Many Requests, with Retry-After.
  reply.header('Retry-After', String(retryAfter));
  return recordEvent(ctx.store, { type: 'factor.throttled', by: { sub: null, clientId: null, address: request.ip }, sub, data: { retry_after: retryAfter, via: 'account' } }, ctx.now(), request.log);
}

/**
 * Both factors are done: the pending first factor is used (once), and a new session states every method the person
 * used (RFC 8176). False when the pending value was already used (a replay): no session.
 */
async function complete(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, state: Pending, proved: readonly string[], method: string): Promise<boolean> {
  if (!(await consumePending(ctx, reply, state.pending))) return false;
  const session = await startSession(ctx, request, reply, state.user.sub, amrAfterSecondFactor(['pwd'], proved));
  const by = personActor(request, session.sub);
  const data = { sid: session.sid, amr: session.amr, via: 'account', method };
  const type = state.pending.purpose === 'login' ? 'login.succeeded' : 'session.reauthenticated';
  request.log.info({ event: type }, 'account sign-in with a second factor');
  await recordEvent(ctx.store, { type, by, sub: session.sub, clientId: '', data }, ctx.now(), request.log);
  return true;
}

type Outcome = { kind: 'done'; proved: readonly string[]; method: string; codes?: string[] } | { kind: 'retry'; error: PageMessage; status: number; counts: boolean };

/** A code form: the pending first factor, CSRF, the throttle, then `check`; the session and return_to on success. */
function codeForm(ctx: AppContext, check: (request: FastifyRequest, state: Pending, plan: FactorPlan, code: string) => Promise<Outcome>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { params } = bodyParams(request);
    if (!checkCsrf(ctx, request, params.get('csrf'))) return sendFormExpired(ctx, request, reply);
    const state = await load(ctx, request);
    if (!state) return startAgain(reply);
    const gate = await gateOf(ctx, request, state.user.sub);
    if (gate.kind === 'locked') {
      await throttled(ctx, request, reply, state.user.sub, gate.retryAfter);
      return render(ctx, request, reply, state, { error: message('factor.error_throttled', { wait: waitMessage(gate.retryAfter) }), status: 429 });
    }
    let outcome: Outcome;
    try {
      outcome = await check(request, state, await planOf(ctx, state.user.sub), (params.get('code') ?? '').slice(0, 64));
    } catch (err) {
      gate.abandoned();
      throw err;
    }
    if (outcome.kind === 'retry') {
      if (outcome.counts) await gate.failed();
      else gate.abandoned();
      return render(ctx, request, reply, state, { error: outcome.error, status: outcome.status });
    }
    await gate.succeeded();
    if (!(await complete(ctx, request, reply, state, outcome.proved, outcome.method))) return startAgain(reply, state.pending.returnTo);
    if (outcome.codes) return sendPage(reply, recoveryCodesPage({ codes: outcome.codes, next: state.pending.returnTo, ...(await pageChrome(ctx, request)) }));
    return noStore(reply).redirect(state.pending.returnTo, 303);
  };
}

const totp = (ctx: AppContext) =>
  codeForm(ctx, async (request, state, plan, code) => {
    const record = plan.kind === 'ask' && plan.methods.includes('totp') ? await ctx.store.totpSecrets.find(state.user.sub) : undefined;
    const checked = record ? await checkTotp(record, code, { totpSecrets: ctx.store.totpSecrets, key: factorKey(ctx), now: ctx.now() }, false) : 'invalid';
    if (checked === 'accepted') return { kind: 'done', proved: OTP_METHODS, method: 'totp' };
    await failed(ctx, request, state.user.sub, 'totp');
    return { kind: 'retry', error: message(checked === 'reused' ? 'factor.error_reused' : 'factor.error_invalid'), status: 401, counts: true };
  });

const recovery = (ctx: AppContext) =>
  codeForm(ctx, async (request, state, plan, code) => {
    const now = ctx.now();
    const used = plan.kind === 'ask' && plan.methods.includes('recovery') && (await useRecoveryCode(state.user.sub, code, ctx.store.recoveryCodes, now));
    if (!used) {
      await failed(ctx, request, state.user.sub, 'recovery_code');
      return { kind: 'retry', error: message('factor.error_recovery'), status: 401, counts: true };
    }
    const remaining = await ctx.store.recoveryCodes.remaining(state.user.sub);
    const by = personActor(request, state.user.sub);
    await recordEvent(ctx.store, { type: 'factor.recovery_used', by, sub: state.user.sub, data: { remaining, via: 'account' } }, now, request.log);
    return { kind: 'done', proved: OTP_METHODS, method: 'recovery_code' };
  });

/** A person without a factor when one is required (LATCH_MFA=required): the app's first code confirms it. */
const totpEnrol = (ctx: AppContext) =>
  codeForm(ctx, async (request, state, plan, code) => {
    const now = ctx.now();
    const record = plan.kind === 'enrol' && plan.methods.includes('totp') ? await ctx.store.totpSecrets.find(state.user.sub) : undefined;
    const checked = record ? await checkTotp(record, code, { totpSecrets: ctx.store.totpSecrets, key: factorKey(ctx), now }, true) : 'invalid';
    // A mistyped first code of a new app is not a guess at someone's factor: it does not count against the limit.
    if (checked !== 'accepted') return { kind: 'retry', error: message(checked === 'reused' ? 'factor.error_reused' : 'factor.error_invalid'), status: 400, counts: false };
    const codes = await regenerateRecoveryCodes(state.user.sub, ctx.store.recoveryCodes, now);
    await recordEvent(ctx.store, { type: 'factor.enrolled', by: personActor(request, state.user.sub), sub: state.user.sub, data: { method: 'totp', via: 'account' } }, now, request.log);
    return { kind: 'done', proved: OTP_METHODS, method: 'totp_enrolment', codes };
  });

// Passkeys: the JSON calls of assets-passkeys.ts ({ options } / { redirect } / { error }).

function jsonError(reply: FastifyReply, status: number, error: string): FastifyReply {
  sendJson(noStore(reply), { error }, status);
  return reply;
}

/** The call's person, or the reply already sent (wrapped: a reply is thenable, an async function must not return it bare). */
type PasskeyCall = { state: Pending; body: Record<string, unknown>; browser: string } | { sent: FastifyReply };

async function passkeyCall(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<PasskeyCall> {
  const body = (typeof request.body === 'object' && request.body !== null && !(request.body instanceof URLSearchParams) ? request.body : {}) as Record<string, unknown>;
  const browser = browserId(request);
  if (!browser || !checkCsrf(ctx, request, typeof body.csrf === 'string' ? body.csrf : undefined)) return { sent: jsonError(reply, 403, 'The page has expired. Reload it and try again.') };
  const state = await load(ctx, request);
  if (!state) return { sent: sendJson(noStore(reply), { redirect: '/account/login' }) };
  return { state, body, browser: digest(browser) };
}

function passkeyDeps(ctx: AppContext) {
  return { passkeys: ctx.store.passkeys, rp: relyingParty(ctx.config.issuer, ctx.config.brandName ?? 'Latch'), now: ctx.now() };
}

async function passkeyDone(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, state: Pending, proved: readonly string[], method: string): Promise<FastifyReply> {
  if (!(await complete(ctx, request, reply, state, proved, method))) return sendJson(noStore(reply), { redirect: '/account/login' });
  return sendJson(noStore(reply), { redirect: state.pending.returnTo });
}

async function authenticateOptions(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const plan = await planOf(ctx, call.state.user.sub);
  if (plan.kind !== 'ask' || !plan.methods.includes('passkey')) return jsonError(reply, 409, 'Nothing to confirm: reload the page.');
  return sendJson(noStore(reply), { options: await authenticationOptions(passkeyDeps(ctx), call.browser, call.state.user.sub) });
}

async function authenticate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const { state, body, browser } = call;
  const response = body.response as AuthenticationResponseJSON;
  if (typeof response !== 'object' || response === null) return jsonError(reply, 400, 'The passkey did not answer.');
  const gate = await gateOf(ctx, request, state.user.sub);
  if (gate.kind === 'locked') {
    await throttled(ctx, request, reply, state.user.sub, gate.retryAfter);
    return jsonError(reply, 429, 'Too many attempts. Try again later.');
  }
  const result = await verifyAuthentication(passkeyDeps(ctx), response, browser, state.user.sub);
  if (result.kind !== 'ok') {
    await gate.failed();
    await failed(ctx, request, state.user.sub, 'passkey');
    return jsonError(reply, 401, 'The passkey did not work.');
  }
  await gate.succeeded();
  return passkeyDone(ctx, request, reply, state, result.value.methods, 'passkey');
}

async function registerOptions(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  if ((await planOf(ctx, call.state.user.sub)).kind !== 'enrol') return jsonError(reply, 409, 'Nothing to set up: reload the page.');
  return sendJson(noStore(reply), { options: await registrationOptions(passkeyDeps(ctx), call.state.user, call.browser) });
}

async function register(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const { state, body, browser } = call;
  // Only a person with no factor yet enrols here: anyone else proves the one they have.
  if ((await planOf(ctx, state.user.sub)).kind !== 'enrol') return jsonError(reply, 409, 'Nothing to set up: reload the page.');
  const response = body.response as RegistrationResponseJSON;
  if (typeof response !== 'object' || response === null) return jsonError(reply, 400, 'The passkey did not answer.');
  const result = await verifyRegistration(passkeyDeps(ctx), state.user.sub, response, browser, typeof body.name === 'string' ? body.name : '');
  if (result.kind !== 'ok') {
    request.log.info({ event: 'factor.enrol_failed', reason: result.reason }, 'passkey registration failed');
    return jsonError(reply, 400, 'The passkey could not be created.');
  }
  const { passkey, userVerified } = result.value;
  await recordEvent(ctx.store, { type: 'factor.enrolled', by: personActor(request, state.user.sub), sub: state.user.sub, data: { method: 'passkey', via: 'account', name: passkey.name } }, ctx.now(), request.log);
  return passkeyDone(ctx, request, reply, state, passkeyMethods(passkey.deviceType, userVerified), 'passkey_enrolment');
}

export function registerAccountFactor(app: FastifyInstance, ctx: AppContext): void {
  app.get(base, pageRoute, (request, reply) => show(ctx, request, reply));
  app.post(`${base}/totp`, pageRoute, totp(ctx));
  app.post(`${base}/recovery`, pageRoute, recovery(ctx));
  app.post(`${base}/totp-enrol`, pageRoute, totpEnrol(ctx));
  const json = { bodyLimit: 16384 };
  app.post(`${base}/passkey/authenticate-options`, json, (request, reply) => authenticateOptions(ctx, request, reply));
  app.post(`${base}/passkey/authenticate`, json, (request, reply) => authenticate(ctx, request, reply));
  app.post(`${base}/passkey/register-options`, json, (request, reply) => registerOptions(ctx, request, reply));
  app.post(`${base}/passkey/register`, json, (request, reply) => register(ctx, request, reply));
}
