/**
 * RFC 8628, the device authorization grant, over HTTP: the device authorization endpoint the device calls, and the
 * verification pages (`/device`) where a person enters the user code, logs in and approves or denies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleDeviceAuthorization } from '../../core/device/device-authorization.js';
import { formatUserCode, normalizeUserCode } from '../../core/device/user-code.js';
import { approveDeviceCode, findPendingUserCode } from '../../core/device/verification.js';
import { isDisabled, scopesForPerson } from '../../core/accounts/person-scopes.js';
import { enterThrottle } from '../../core/accounts/throttle.js';
import { OAuthError } from '../../core/errors.js';
import { endpointPaths, endpointUrls } from '../../core/oidc/discovery.js';
import { spaceList } from '../../core/params.js';
import { digest, randomToken } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { deviceConfirmPage, deviceDonePage, deviceUserCodePage, loginPage, message, type PageMessage, waitMessage } from '../../interaction/index.js';
import type { ClientRecord, DeviceCodeRecord, InteractionRecord } from '../../storage/types.js';
import { browserId, checkCsrf, csrfToken, currentSession, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams, queryParams } from '../form.js';
import { accountDisabled, submitLoginForm } from '../login-form.js';
import { consentApi, consentClient, lazyChrome, pageChrome } from '../page-chrome.js';
import { throttleDeps, throttleLimits } from '../throttle.js';
import { noStore, sendErrorPage, sendJson, sendPage } from '../responses.js';
import { authenticatedRequest } from './token.js';

/** Reserved key in a device interaction: the digest of the device code the person is deciding on. */
const deviceKey = '_device';

/** RFC 8628 §5.1: user codes are guessable in principle, so wrong guesses are limited: 10 per client address per 5 minutes. */
export const userCodeGuessLimit = { failures: 10, windowSeconds: 300 };

const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page and enter the code again.', { status: 403 });
const gone = new OAuthError(
  'invalid_request',
  'This code has expired or was already used. Start again on your device to get a new code.',
);

interface DeviceInteraction {
  id: string;
  interaction: InteractionRecord;
  device: DeviceCodeRecord;
  client: ClientRecord;
  /** The user code, formatted; carried in the page URLs (never stored) and checked against the stored digest. */
  userCode: string;
}

function clientName(client: ClientRecord): string {
  return client.metadata.client_name || client.clientId;
}

/** The URLs of one device interaction carry the user code, so the confirmation page can show it. */
function interactionUrl(resumed: Pick<DeviceInteraction, 'id' | 'userCode'>, action = ''): string {
  return `/device/${resumed.id}${action}?user_code=${encodeURIComponent(resumed.userCode)}`;
}

/** The device pages speak the language of Accept-Language (a device authorization request has no ui_locales). */
function chromeOf(ctx: AppContext, request: FastifyRequest) {
  return pageChrome(ctx, request);
}

function badForm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request), message: message('error.device_form_expired') });
}

function codeGone(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
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
  await ctx.store.interactions.create({
    idDigest: digest(id),
    clientId: device.clientId,
    request: { [deviceKey]: device.deviceCodeDigest },
    browserDigest: digest(browser),
    result: {},
    createdAt: now,
    expiresAt: Math.min(now + ctx.config.interactionTtl, device.expiresAt),
  });
  return noStore(reply).redirect(interactionUrl({ id, userCode: formatUserCode(normalizeUserCode(typed) as string) }), 303);
}

/** Loads the interaction bound to this browser and its still pending device code; otherwise shows an error page. */
async function resume(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<DeviceInteraction | undefined> {
  const { id } = request.params as { id: string };
  const now = ctx.now();
  const interaction = await ctx.store.interactions.find(digest(id), now);
  const browser = browserId(request);
  const deviceCodeDigest = interaction?.request[deviceKey];
  if (!interaction || !deviceCodeDigest || !browser || interaction.browserDigest !== digest(browser)) {
    await codeGone(ctx, request, reply);
    return undefined;
  }
  const device = await ctx.store.deviceCodes.find(deviceCodeDigest);
  const client = device && (await ctx.store.clients.find(device.clientId));
  const userCode = normalizeUserCode(queryParams(request).params.get('user_code') ?? '');
  if (!device || !client || device.status !== 'pending' || device.expiresAt <= now || !userCode || digest(userCode) !== device.userCodeDigest) {
    await ctx.store.interactions.delete(interaction.idDigest);
    await codeGone(ctx, request, reply);
    return undefined;
  }
  return { id, interaction, device, client, userCode: formatUserCode(userCode) };
}

async function authenticationFor(ctx: AppContext, request: FastifyRequest, resumed: DeviceInteraction) {
  const { result } = resumed.interaction;
  if (result.sub && result.sid && result.authTime !== undefined) return { sub: result.sub, sid: result.sid, authTime: result.authTime };
  const session = await currentSession(ctx, request);
  return session && { sub: session.sub, sid: session.sid, authTime: session.authTime };
}

async function renderLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resumed: DeviceInteraction,
  options: { email?: string; error?: PageMessage; status?: number } = {},
): Promise<FastifyReply> {
  const body = loginPage({
    action: interactionUrl(resumed, '/login'),
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(resumed.client),
    ...(options.email !== undefined ? { email: options.email } : {}),
    ...(options.error !== undefined ? { error: options.error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: options.status ?? 200 });
}

/** GET /device/:id: log in first (unless this browser has a session), then confirm. */
async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const auth = await authenticationFor(ctx, request, resumed);
  if (!auth) return renderLogin(ctx, request, reply, resumed);
  const [user, chrome, client, api] = await Promise.all([
    ctx.store.users.findBySub(auth.sub),
    chromeOf(ctx, request),
    consentClient(ctx, resumed.client),
    consentApi(ctx, resumed.client, undefined),
  ]);
  if (!user) return renderLogin(ctx, request, reply, resumed);
  if (isDisabled(user)) return renderLogin(ctx, request, reply, resumed, { error: accountDisabled(), status: 403 });
  const body = deviceConfirmPage({
    action: interactionUrl(resumed, '/decision'),
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(resumed.client),
    userEmail: user.email,
    // The person is asked for their share of the scopes only (no admin scopes without the admin role).
    scopes: scopesForPerson(user, spaceList(resumed.device.scope)),
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
  const retry = await submitLoginForm(ctx, request, reply, params, resumed.interaction);
  if (retry) return renderLogin(ctx, request, reply, resumed, retry);
  return noStore(reply).redirect(interactionUrl(resumed), 303);
}

/** POST /device/:id/decision: RFC 8628 §3.3, the person approves or denies; the device learns it by polling. */
async function decide(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return badForm(ctx, request, reply);
  const auth = await authenticationFor(ctx, request, resumed);
  if (!auth) return noStore(reply).redirect(interactionUrl(resumed), 303);
  const user = await ctx.store.users.findBySub(auth.sub);
  if (!user) return noStore(reply).redirect(interactionUrl(resumed), 303);
  // A disabled account approves nothing (its sessions ended when it was disabled; this is belt and braces).
  if (isDisabled(user)) return renderLogin(ctx, request, reply, resumed, { error: accountDisabled(), status: 403 });
  const now = ctx.now();
  const approved = params.get('decision') === 'allow';
  const decided = approved
    ? await approveDeviceCode(resumed.device, auth, ctx.store.deviceCodes, now, user)
    : await ctx.store.deviceCodes.deny(resumed.device.deviceCodeDigest, now);
  await ctx.store.interactions.delete(resumed.interaction.idDigest);
  if (!decided) return codeGone(ctx, request, reply);
  request.log.info({ event: approved ? 'device.approved' : 'device.denied', client_id: resumed.client.clientId }, 'device decision');
  const scopes = approved ? scopesForPerson(user, spaceList(resumed.device.scope)) : spaceList(resumed.device.scope);
  await recordEvent(
    ctx.store,
    {
      type: approved ? 'device.approved' : 'device.denied',
      by: { sub: user.sub, clientId: null, address: request.ip },
      sub: user.sub,
      clientId: resumed.client.clientId,
      data: { scopes },
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
