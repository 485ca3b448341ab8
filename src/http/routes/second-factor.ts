/**
 * The second step of a sign-in over HTTP (issue 13), for an authorization request or a device code alike
 * (second-factor-journey.ts): a TOTP code, a recovery code or a passkey; enrolment of a first
 * factor when the person has none; and passwordless sign-in with a passkey from the login page. Every form and JSON
 * call is CSRF-checked and bound to the browser of its interaction; codes are throttled like passwords, per person
 * and address, and only after the first factor (so failing codes never locks the owner out of the password step).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDisabled } from '../../core/accounts/person-scopes.js';
import { authenticationOptions, passkeyMethods, registrationOptions, relyingParty, verifyAuthentication, verifyRegistration } from '../../core/accounts/passkeys.js';
import { useRecoveryCode, regenerateRecoveryCodes } from '../../core/accounts/recovery-codes.js';
import { amrAfterSecondFactor, enrolledFactors, type FactorPlan, OTP_METHODS, planSecondFactor } from '../../core/accounts/second-factor.js';
import { ACR_PHR } from '../../core/accounts/acr.js';
import { enterThrottle, type ThrottleGate } from '../../core/accounts/throttle.js';
import { checkTotp } from '../../core/accounts/totp.js';
import type { Authentication } from '../../core/authorize/decide.js';
import type { SecondFactor } from '../../core/interaction/next.js';
import { OAuthError } from '../../core/errors.js';
import { digest } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { message, recoveryCodesPage, waitMessage } from '../../pages/index.js';
import { browserId, checkCsrf, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { sendNext } from '../authorize-flow.js';
import { lazyChrome, pageChrome } from '../page-chrome.js';
import { noStore, sendErrorPage, sendJson, sendPage } from '../responses.js';
import { throttleDeps, throttleLimits } from '../throttle.js';
import { codeGone } from './device.js';
import { factorTarget, type FactorJourney, isResumed, loadFactorJourney, type NotResumed, pendingFactor, resumeUrl, uiLocalesOf } from './second-factor-journey.js';
import { factorKey, renderFactorStep } from './second-factor-page.js';

const expired = new OAuthError('invalid_request', 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.');
const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page to continue, or go back to the application and start again.', { status: 403 });

type Loaded = FactorJourney;

/** A page for an interaction that could not be resumed (sent instead of the form's answer). */
function notResumed(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, loaded: NotResumed): Promise<FastifyReply> {
  if (loaded.kind === 'error') return sendNext(ctx, request, reply, loaded.error, undefined);
  if (loaded.kind === 'device_gone') return codeGone(ctx, request, reply);
  return sendErrorPage(reply, expired, { chrome: lazyChrome(ctx, request), message: message('error.sign_in_expired') });
}

/**
 * The second factor is done: a new session (a new cookie value: the sign-in changed) stating every method the person
 * used (RFC 8176), recorded on the interaction as this request's fresh authentication.
 */
async function complete(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, loaded: Loaded, auth: Authentication, amr: string[], via: string): Promise<void> {
  const session = await startSession(ctx, request, reply, auth.sub, amr);
  const record = loaded.interaction.record;
  await ctx.store.interactions.updateResult(record.idDigest, { ...record.result, sub: session.sub, sid: session.sid, authTime: session.authTime, amr: session.amr });
  const by = { sub: session.sub, clientId: null, address: request.ip };
  await recordEvent(ctx.store, { type: 'login.succeeded', by, sub: session.sub, clientId: record.clientId, data: { sid: session.sid, amr: session.amr, via } }, ctx.now(), request.log);
}

function factorGate(ctx: AppContext, request: FastifyRequest, sub: string): Promise<ThrottleGate> {
  // RFC 6238 §5.2 / RFC 4226 §7.3: the verifier MUST throttle guesses; the same limits as passwords, counted apart.
  return enterThrottle({ kind: 'second_factor', subject: sub, address: request.ip, now: ctx.now() }, throttleDeps(ctx.store.rateLimits, throttleLimits(ctx.config), request.log));
}

async function failed(ctx: AppContext, request: FastifyRequest, loaded: Loaded, sub: string, method: string): Promise<void> {
  await recordEvent(ctx.store, { type: 'factor.failed', by: { sub: null, clientId: null, address: request.ip }, sub, clientId: loaded.interaction.record.clientId, data: { method } }, ctx.now(), request.log);
}

type FormOutcome = { kind: 'done' } | { kind: 'retry'; error: ReturnType<typeof message>; status: number };

/** A code form (TOTP or recovery): load, CSRF, the pending step, the throttle, then `check`. */
async function codeForm(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  check: (loaded: Loaded, auth: Authentication, step: SecondFactor, plan: FactorPlan, code: string) => Promise<FormOutcome | { kind: 'page'; reply: FastifyReply }>,
): Promise<FastifyReply> {
  const loaded = await loadFactorJourney(ctx, request);
  if (!isResumed(loaded)) return notResumed(ctx, request, reply, loaded);
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request, uiLocalesOf(loaded)), message: message('error.form_expired') });
  }
  const state = await pendingFactor(ctx, request, loaded);
  if (!state?.step) return noStore(reply).redirect(resumeUrl(loaded), 303);
  const { auth, step } = state;
  const plan = planSecondFactor(await enrolledFactors(ctx.store, auth.sub), step.required);
  const gate = await factorGate(ctx, request, auth.sub);
  if (gate.kind === 'locked') {
    // RFC 6585 §4: 429 Too Many Requests, with Retry-After.
    reply.header('Retry-After', String(gate.retryAfter));
    await recordEvent(ctx.store, { type: 'factor.throttled', by: { sub: null, clientId: null, address: request.ip }, sub: auth.sub, clientId: loaded.interaction.record.clientId, data: { retry_after: gate.retryAfter } }, ctx.now(), request.log);
    return renderFactorStep(ctx, request, reply, factorTarget(loaded), step, { error: message('factor.error_throttled', { wait: waitMessage(gate.retryAfter) }), status: 429 });
  }
  let outcome: FormOutcome | { kind: 'page'; reply: FastifyReply };
  try {
    outcome = await check(loaded, auth, step, plan, (params.get('code') ?? '').slice(0, 64));
  } catch (err) {
    gate.abandoned();
    throw err;
  }
  if (outcome.kind === 'retry') {
    await gate.failed();
    return renderFactorStep(ctx, request, reply, factorTarget(loaded), step, { error: outcome.error, status: outcome.status });
  }
  await gate.succeeded();
  if (outcome.kind === 'page') return outcome.reply;
  return noStore(reply).redirect(resumeUrl(loaded), 303);
}

function totp(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return codeForm(ctx, request, reply, async (loaded, auth, _step, plan, code) => {
    const record = plan.kind === 'ask' && plan.methods.includes('totp') ? await ctx.store.totpSecrets.find(auth.sub) : undefined;
    const checked = record ? await checkTotp(record, code, { totpSecrets: ctx.store.totpSecrets, key: factorKey(ctx), now: ctx.now() }, false) : 'invalid';
    if (checked !== 'accepted') {
      await failed(ctx, request, loaded, auth.sub, 'totp');
      return { kind: 'retry', error: message(checked === 'reused' ? 'factor.error_reused' : 'factor.error_invalid'), status: 401 };
    }
    await complete(ctx, request, reply, loaded, auth, amrAfterSecondFactor(auth.amr, OTP_METHODS), 'totp');
    return { kind: 'done' };
  });
}

function recovery(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return codeForm(ctx, request, reply, async (loaded, auth, _step, plan, code) => {
    const now = ctx.now();
    const used = plan.kind === 'ask' && plan.methods.includes('recovery') && (await useRecoveryCode(auth.sub, code, ctx.store.recoveryCodes, now));
    if (!used) {
      await failed(ctx, request, loaded, auth.sub, 'recovery_code');
      return { kind: 'retry', error: message('factor.error_recovery'), status: 401 };
    }
    const remaining = await ctx.store.recoveryCodes.remaining(auth.sub);
    const by = { sub: auth.sub, clientId: null, address: request.ip };
    await recordEvent(ctx.store, { type: 'factor.recovery_used', by, sub: auth.sub, clientId: loaded.interaction.record.clientId, data: { remaining } }, now, request.log);
    await complete(ctx, request, reply, loaded, auth, amrAfterSecondFactor(auth.amr, OTP_METHODS), 'recovery_code');
    return { kind: 'done' };
  });
}

/** Enrolment of an authenticator app during the sign-in: its first code confirms it; ten recovery codes are shown once. */
function totpEnrol(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return codeForm(ctx, request, reply, async (loaded, auth, _step, plan, code) => {
    const now = ctx.now();
    const record = plan.kind === 'enrol' && plan.methods.includes('totp') ? await ctx.store.totpSecrets.find(auth.sub) : undefined;
    const checked = record ? await checkTotp(record, code, { totpSecrets: ctx.store.totpSecrets, key: factorKey(ctx), now }, true) : 'invalid';
    if (checked !== 'accepted') return { kind: 'retry', error: message(checked === 'reused' ? 'factor.error_reused' : 'factor.error_invalid'), status: 400 };
    const codes = await regenerateRecoveryCodes(auth.sub, ctx.store.recoveryCodes, now);
    const by = { sub: auth.sub, clientId: null, address: request.ip };
    await recordEvent(ctx.store, { type: 'factor.enrolled', by, sub: auth.sub, clientId: loaded.interaction.record.clientId, data: { method: 'totp', via: 'sign_in' } }, now, request.log);
    await complete(ctx, request, reply, loaded, auth, amrAfterSecondFactor(auth.amr, OTP_METHODS), 'totp_enrolment');
    const chrome = await pageChrome(ctx, request, { uiLocales: uiLocalesOf(loaded) });
    return { kind: 'page', reply: sendPage(reply, recoveryCodesPage({ codes, next: resumeUrl(loaded), ...chrome })) };
  });
}

// Passkeys: JSON endpoints called by assets-passkeys.ts.

interface PasskeyBody {
  csrf?: unknown;
  mode?: unknown;
  name?: unknown;
  response?: unknown;
}

function jsonError(reply: FastifyReply, status: number, error: string): FastifyReply {
  sendJson(reply, { error }, status);
  return reply;
}

// A Fastify reply is thenable: an async function must not return it bare (awaiting it gives undefined), so a sent
// answer comes back wrapped.
type PasskeyCall = { loaded: Loaded; body: PasskeyBody; browser: string } | { sent: FastifyReply };

async function passkeyCall(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<PasskeyCall> {
  const body = (typeof request.body === 'object' && request.body !== null && !(request.body instanceof URLSearchParams) ? request.body : {}) as PasskeyBody;
  const loaded = await loadFactorJourney(ctx, request);
  if (!isResumed(loaded)) return { sent: jsonError(reply, 400, 'This sign-in request has expired. Go back to the application and start again.') };
  const browser = browserId(request);
  if (!browser || !checkCsrf(ctx, request, typeof body.csrf === 'string' ? body.csrf : undefined)) return { sent: jsonError(reply, 403, 'The page has expired. Reload it and try again.') };
  return { loaded, body, browser: digest(browser) };
}

function passkeyDeps(ctx: AppContext) {
  return { passkeys: ctx.store.passkeys, rp: relyingParty(ctx.config.issuer, ctx.config.brandName ?? 'Latch'), now: ctx.now() };
}

async function authenticateOptions(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  if (call.body.mode === 'login') return sendJson(noStore(reply), { options: await authenticationOptions(passkeyDeps(ctx), call.browser, null) });
  const state = await pendingFactor(ctx, request, call.loaded);
  if (!state?.step) return jsonError(reply, 409, 'Nothing to confirm: reload the page.');
  // OpenID EAP ACR Values: phr needs the authenticator to verify the person (WebAuthn UV), not just their presence.
  const verification = state.step.required === ACR_PHR ? 'required' : 'preferred';
  return sendJson(noStore(reply), { options: await authenticationOptions(passkeyDeps(ctx), call.browser, state.auth.sub, verification) });
}

async function authenticate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const { loaded, body, browser } = call;
  const response = body.response as AuthenticationResponseJSON;
  if (typeof response !== 'object' || response === null) return jsonError(reply, 400, 'The passkey did not answer.');
  if (body.mode === 'login') {
    // Passwordless: the passkey is the whole sign-in (RFC 8176: hwk/swk, and user when the authenticator verified them).
    const result = await verifyAuthentication(passkeyDeps(ctx), response, browser, null);
    const user = result.kind === 'ok' ? await ctx.store.users.findBySub(result.value.sub) : undefined;
    if (result.kind !== 'ok' || !user || isDisabled(user)) {
      request.log.info({ event: 'login.failed', reason: result.kind === 'ok' ? 'account_disabled' : result.reason }, 'passkey sign-in failed');
      const data = { reason: result.kind === 'ok' ? 'account_disabled' : 'passkey_invalid', via: 'passkey' };
      await recordEvent(ctx.store, { type: 'login.failed', sub: user?.sub ?? null, clientId: loaded.interaction.record.clientId, address: request.ip, data }, ctx.now(), request.log);
      return jsonError(reply, 401, 'The passkey did not work.');
    }
    const auth = { sub: user.sub, sid: '', authTime: 0, amr: [], fresh: true };
    await complete(ctx, request, reply, loaded, auth, result.value.methods, 'passkey');
    return sendJson(noStore(reply), { redirect: resumeUrl(loaded) });
  }
  const state = await pendingFactor(ctx, request, loaded);
  if (!state?.step) return sendJson(noStore(reply), { redirect: resumeUrl(loaded) });
  const gate = await factorGate(ctx, request, state.auth.sub);
  if (gate.kind === 'locked') {
    reply.header('Retry-After', String(gate.retryAfter));
    return jsonError(reply, 429, 'Too many attempts. Try again later.');
  }
  const result = await verifyAuthentication(passkeyDeps(ctx), response, browser, state.auth.sub, state.step.required === ACR_PHR);
  if (result.kind !== 'ok') {
    await gate.failed();
    await failed(ctx, request, loaded, state.auth.sub, 'passkey');
    return jsonError(reply, 401, 'The passkey did not work.');
  }
  await gate.succeeded();
  await complete(ctx, request, reply, loaded, state.auth, amrAfterSecondFactor(state.auth.amr, result.value.methods), 'passkey');
  return sendJson(noStore(reply), { redirect: resumeUrl(loaded) });
}

/** Enrolment of a passkey during the sign-in: only for a person who has no factor reaching the level yet. */
async function enrolState(ctx: AppContext, request: FastifyRequest, loaded: Loaded) {
  const state = await pendingFactor(ctx, request, loaded);
  if (!state?.step) return undefined;
  const plan = planSecondFactor(await enrolledFactors(ctx.store, state.auth.sub), state.step.required);
  return plan.kind === 'enrol' && plan.methods.includes('passkey') ? state : undefined;
}

async function registerOptions(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const state = await enrolState(ctx, request, call.loaded);
  const user = state && (await ctx.store.users.findBySub(state.auth.sub));
  if (!user) return jsonError(reply, 409, 'Nothing to set up: reload the page.');
  return sendJson(noStore(reply), { options: await registrationOptions(passkeyDeps(ctx), user, call.browser) });
}

async function register(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const call = await passkeyCall(ctx, request, reply);
  if ('sent' in call) return call.sent;
  const { loaded, body, browser } = call;
  const state = await enrolState(ctx, request, loaded);
  if (!state) return jsonError(reply, 409, 'Nothing to set up: reload the page.');
  const response = body.response as RegistrationResponseJSON;
  if (typeof response !== 'object' || response === null) return jsonError(reply, 400, 'The passkey did not answer.');
  const result = await verifyRegistration(passkeyDeps(ctx), state.auth.sub, response, browser, typeof body.name === 'string' ? body.name : '');
  if (result.kind !== 'ok') {
    request.log.info({ event: 'factor.enrol_failed', reason: result.reason }, 'passkey registration failed');
    return jsonError(reply, 400, 'The passkey could not be created.');
  }
  const { passkey, userVerified } = result.value;
  const by = { sub: state.auth.sub, clientId: null, address: request.ip };
  await recordEvent(ctx.store, { type: 'factor.enrolled', by, sub: state.auth.sub, clientId: loaded.interaction.record.clientId, data: { method: 'passkey', via: 'sign_in', name: passkey.name } }, ctx.now(), request.log);
  await complete(ctx, request, reply, loaded, state.auth, amrAfterSecondFactor(state.auth.amr, passkeyMethods(passkey.deviceType, userVerified)), 'passkey_enrolment');
  return sendJson(noStore(reply), { redirect: resumeUrl(loaded) });
}

export function registerSecondFactor(app: FastifyInstance, ctx: AppContext): void {
  const page = { config: { page: true } };
  app.post('/interaction/:id/factor/totp', page, (request, reply) => totp(ctx, request, reply));
  app.post('/interaction/:id/factor/totp-enrol', page, (request, reply) => totpEnrol(ctx, request, reply));
  app.post('/interaction/:id/factor/recovery', page, (request, reply) => recovery(ctx, request, reply));
  const json = { bodyLimit: 16384 };
  app.post('/interaction/:id/passkey/authenticate-options', json, (request, reply) => authenticateOptions(ctx, request, reply));
  app.post('/interaction/:id/passkey/authenticate', json, (request, reply) => authenticate(ctx, request, reply));
  app.post('/interaction/:id/passkey/register-options', json, (request, reply) => registerOptions(ctx, request, reply));
  app.post('/interaction/:id/passkey/register', json, (request, reply) => register(ctx, request, reply));
}
