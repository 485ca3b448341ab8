/**
 * RFC 8628, the device authorization grant, over HTTP: the device authorization endpoint the device calls, and the
 * verification pages (`/device`) where a person enters the user code, logs in and approves or denies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleDeviceAuthorization } from '../../core/device/device-authorization.js';
import { formatUserCode, normalizeUserCode } from '../../core/device/user-code.js';
import { findPendingUserCode } from '../../core/device/verification.js';
import { decideDevice, type DeviceJourneyDeps, nextDevice, resumeDevice, type ResumedDevice } from '../../core/interaction/device.js';
import { authenticationFor, clientName, newInteraction, subjectOf } from '../../core/interaction/record.js';
import { enterThrottle } from '../../core/accounts/throttle.js';
import { OAuthError } from '../../core/errors.js';
import { endpointPaths, endpointUrls } from '../../core/oidc/discovery.js';
import { spaceList } from '../../core/params.js';
import { digest, randomToken } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { deviceConfirmPage, deviceDonePage, deviceUserCodePage, message, type PageMessage, waitMessage } from '../../pages/index.js';
import { checkCsrf, csrfToken, currentSession, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams, queryParams } from '../form.js';
import { type LoadedInteraction, loadInteraction, type LoginPageOptions, renderLogin } from '../interaction-pages.js';
import { accountDisabled, submitLoginForm } from '../login-form.js';
import { consentApi, consentClient, lazyChrome, pageChrome } from '../page-chrome.js';
import { throttleDeps, throttleLimits } from '../throttle.js';
import { noStore, sendErrorPage, sendJson, sendPage } from '../responses.js';
import { upstreamChoices } from './federation-choices.js';
import { type FactorTarget, renderFactorStep } from './second-factor-page.js';
import { authenticatedRequest } from './token.js';

/** RFC 8628 §5.1: user codes are guessable in principle, so wrong guesses are limited: 10 per client address per 5 minutes. */
export const userCodeGuessLimit = { failures: 10, windowSeconds: 300 };

const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page and enter the code again.', { status: 403 });
const gone = new OAuthError(
  'invalid_request',
  'This code has expired or was already used. Start again on your device to get a new code.',
);

export interface DeviceInteraction extends LoadedInteraction, ResumedDevice {
  /** The user code, formatted; carried in the page URLs (never stored) and checked against the stored digest. */
  userCode: string;
}

export function deviceDeps(ctx: AppContext): DeviceJourneyDeps {
  return { store: ctx.store, mfa: ctx.config.mfa };
}

/** The URLs of one device interaction carry the user code, so the confirmation page can show it. */
export function interactionUrl(resumed: Pick<DeviceInteraction, 'id' | 'userCode'>, action = ''): string {
  return `/device/${resumed.id}${action}?user_code=${encodeURIComponent(resumed.userCode)}`;
}

/**
 * Issue 13: the second-factor page of a device interaction is the authorize journey's, posting to the same routes
 * (/interaction/:id/factor/..., /interaction/:id/passkey/...); the user code rides along in the query, as on every
 * device page, so those routes can resume the device code (RFC 8628 §3.3).
 */
export function deviceFactorTarget(resumed: DeviceInteraction): FactorTarget {
  const query = `?user_code=${encodeURIComponent(resumed.userCode)}`;
  return { client: resumed.client, uiLocales: undefined, formTargets: [], url: (path) => `/interaction/${resumed.id}${path}${query}` };
}

/** The device pages speak the language of Accept-Language (a device authorization request has no ui_locales). */
function chromeOf(ctx: AppContext, request: FastifyRequest) {
  return pageChrome(ctx, request);
}

function badForm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request), message: message('error.device_form_expired') });
}

export function codeGone(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendErrorPage(reply, gone, { chrome: lazyChrome(ctx, request), message: message('error.device_code_gone') });
}

async function entryPage(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { userCode?: string; error?: PageMessage; status?: number } = {},
): Promise<FastifyReply> {
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const { userCode, error } = options;
  const body = deviceUserCodePage({
    action: endpointPaths.deviceVerification,
    csrf,
    ...(userCode !== undefined ? { userCode } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: options.status ?? 200 });
}

/** GET /device: the code entry form, prefilled from `?user_code=` (RFC 8628 §3.3.1 verification_uri_complete). */
async function showEntry(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const typed = queryParams(request).params.get('user_code');
  const normalized = typed === undefined ? undefined : normalizeUserCode(typed);
  return entryPage(ctx, request, reply, normalized ? { userCode: formatUserCode(normalized) } : {});
}

/** POST /device: checks the typed code, then binds the rest of the interaction to this browser. */
async function submitCode(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return badForm(ctx, request, reply);
  const typed = (params.get('user_code') ?? '').slice(0, 64);
  const now = ctx.now();
  // RFC 8628 §5.1: user codes have little entropy, so the server rate limits their entry to make guessing
  // impractical. Only wrong codes count: people entering the right code behind one address never add up.
  const limits = { ...throttleLimits(ctx.config), addressMaxFailures: userCodeGuessLimit.failures, window: userCodeGuessLimit.windowSeconds };
  const gate = await enterThrottle({ kind: 'user_code', address: request.ip, now }, throttleDeps(ctx.store.rateLimits, limits, request.log));
  if (gate.kind === 'locked') {
    reply.header('Retry-After', String(gate.retryAfter));
    return entryPage(ctx, request, reply, {
      userCode: typed,
      error: message('device.code_throttled', { wait: waitMessage(gate.retryAfter) }),
      status: 429,
    });
  }
  const device = await findPendingUserCode(typed, ctx.store.deviceCodes, now);
  if (!device) {
    await gate.failed();
    request.log.info({ event: 'device.user_code_unknown' }, 'unknown user code');
    return entryPage(ctx, request, reply, { userCode: typed, error: message('device.code_unknown'), status: 400 });
  }
  await gate.succeeded();
  const id = randomToken();
  const browser = ensureBrowserId(ctx, request, reply);
  const start = { idDigest: digest(id), clientId: device.clientId, browserDigest: digest(browser), now, expiresAt: Math.min(now + ctx.config.interactionTtl, device.expiresAt) };
  await ctx.store.interactions.create(newInteraction({ kind: 'device', deviceCodeDigest: device.deviceCodeDigest }, start));
  return noStore(reply).redirect(interactionUrl({ id, userCode: formatUserCode(normalizeUserCode(typed) as string) }), 303);
}

/**
 * A loaded device interaction with its still pending device code, checked against the user code of the URL's query
 * (RFC 8628 §3.3); undefined otherwise (and a wrong user code ends the interaction).
 */
export async function resumeDeviceInteraction(
  ctx: AppContext,
  request: FastifyRequest,
  loaded: LoadedInteraction,
  deviceCodeDigest: string,
  typed: string | undefined = queryParams(request).params.get('user_code'),
): Promise<DeviceInteraction | undefined> {
  const userCode = normalizeUserCode(typed ?? '');
  const resumed = await resumeDevice(deviceDeps(ctx), loaded.record, deviceCodeDigest, userCode, ctx.now());
  if (!resumed || !userCode) return undefined;
  return { ...loaded, ...resumed, userCode: formatUserCode(userCode) };
}

/** Loads the device interaction bound to this browser and its still pending device code; otherwise shows an error page. */
async function resume(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<DeviceInteraction | undefined> {
  const loaded = await loadInteraction(ctx, request);
  const subject = loaded && subjectOf(loaded.record);
  const resumed = loaded && subject?.kind === 'device' ? await resumeDeviceInteraction(ctx, request, loaded, subject.deviceCodeDigest) : undefined;
  if (!resumed) await codeGone(ctx, request, reply);
  return resumed;
}

/** The device login page, with the "Continue with <provider>" buttons (their URLs carry the user code too). */
export async function renderDeviceLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resumed: DeviceInteraction,
  options: LoginPageOptions = {},
): Promise<FastifyReply> {
  const upstreams = await upstreamChoices(ctx, resumed.id, `?user_code=${encodeURIComponent(resumed.userCode)}`);
  const page = { action: interactionUrl(resumed, '/login'), client: resumed.client, formTargets: upstreams.formTargets };
  return renderLogin(ctx, request, reply, page, { ...options, upstreams: upstreams.choices });
}

function disabledLogin(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, resumed: DeviceInteraction): Promise<FastifyReply> {
  return renderDeviceLogin(ctx, request, reply, resumed, { error: accountDisabled(), status: 403 });
}

async function nextStep(ctx: AppContext, request: FastifyRequest, resumed: DeviceInteraction) {
  return nextDevice(deviceDeps(ctx), resumed, authenticationFor(resumed.record, await currentSession(ctx, request)));
}

/** GET /device/:id: log in first (unless this browser has a session), then confirm. */
async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const next = await nextStep(ctx, request, resumed);
  if (next.kind === 'login') return next.disabled ? disabledLogin(ctx, request, reply, resumed) : renderDeviceLogin(ctx, request, reply, resumed);
  if (next.kind === 'second_factor') return renderFactorStep(ctx, request, reply, deviceFactorTarget(resumed), next);
  const [chrome, client, api] = await Promise.all([chromeOf(ctx, request), consentClient(ctx, resumed.client), consentApi(ctx, resumed.client, undefined)]);
  const body = deviceConfirmPage({
    action: interactionUrl(resumed, '/decision'),
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(resumed.client),
    userEmail: next.email,
    scopes: next.scopes,
    userCode: resumed.userCode,
    client,
    ...(api ? { api } : {}),
    ...chrome,
  });
  return sendPage(reply, body);
}

/** POST /device/:id/login: the shared password check (same limits as the login page), then a new session. */
async function login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return badForm(ctx, request, reply);
  const retry = await submitLoginForm(ctx, request, reply, params, resumed.record);
  if (retry) return renderDeviceLogin(ctx, request, reply, resumed, retry);
  return noStore(reply).redirect(interactionUrl(resumed), 303);
}

/** POST /device/:id/decision: RFC 8628 §3.3, the person approves or denies; the device learns it by polling. */
async function decide(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return badForm(ctx, request, reply);
  const next = await nextStep(ctx, request, resumed);
  if (next.kind === 'login') return next.disabled ? disabledLogin(ctx, request, reply, resumed) : noStore(reply).redirect(interactionUrl(resumed), 303);
  // Issue 13: no decision before the second factor the client needs; back to the page that asks for it.
  if (next.kind === 'second_factor') return noStore(reply).redirect(interactionUrl(resumed), 303);
  const now = ctx.now();
  const approved = params.get('decision') === 'allow';
  const decided = await decideDevice(ctx.store, resumed, resumed.record, next, approved, now);
  if (!decided) return codeGone(ctx, request, reply);
  request.log.info({ event: approved ? 'device.approved' : 'device.denied', client_id: resumed.client.clientId }, 'device decision');
  const { user } = next;
  await recordEvent(
    ctx.store,
    {
      type: approved ? 'device.approved' : 'device.denied',
      by: { sub: user.sub, clientId: null, address: request.ip },
      sub: user.sub,
      clientId: resumed.client.clientId,
      data: { scopes: approved ? next.scopes : spaceList(resumed.device.scope) },
    },
    now,
    request.log,
  );
  return sendPage(reply, deviceDonePage({ clientName: clientName(resumed.client), approved, ...(await chromeOf(ctx, request)) }));
}

export function registerDevice(app: FastifyInstance, ctx: AppContext): void {
  const urls = endpointUrls(ctx.config.issuer);

  // RFC 8628 §3.1: the device authorization endpoint; the client authenticates as at the token endpoint.
  app.post(endpointPaths.deviceAuthorization, { config: { cors: 'client' } }, async (request, reply) => {
    const { client, params, now } = await authenticatedRequest(ctx, request, urls.deviceAuthorization);
    const response = await handleDeviceAuthorization(client, params, now, {
      deviceCodes: ctx.store.deviceCodes,
      verificationUri: urls.deviceVerification,
      ttl: ctx.config.deviceCodeTtl,
      interval: ctx.config.deviceCodeInterval,
    });
    request.log.info({ event: 'device.authorization_started', client_id: client.clientId }, 'device authorization started');
    return sendJson(reply, response);
  });

  const page = { config: { page: true } };
  app.get(endpointPaths.deviceVerification, page, (request, reply) => showEntry(ctx, request, reply));
  app.post(endpointPaths.deviceVerification, page, (request, reply) => submitCode(ctx, request, reply));
  app.get('/device/:id', page, (request, reply) => show(ctx, request, reply));
  app.post('/device/:id/login', page, (request, reply) => login(ctx, request, reply));
  app.post('/device/:id/decision', page, (request, reply) => decide(ctx, request, reply));
}
