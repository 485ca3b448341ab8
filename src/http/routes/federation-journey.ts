/** What the federation routes share: the interaction they continue, the sign-in they complete, the pages they show. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorResponse } from '../../core/authorize/respond.js';
import { resumeAuthorize, type ResumedAuthorize } from '../../core/interaction/authorize.js';
import { isBoundTo, subjectOf } from '../../core/interaction/record.js';
import { OAuthError } from '../../core/errors.js';
import { digest } from '../../core/tokens/hash.js';
import { federationKeys, type FederationKeys } from '../../federation/secrets.js';
import type { RelyingPartyDeps } from '../../federation/relying-party.js';
import { recordEvent } from '../../observability/events.js';
import { message, type PageMessage } from '../../pages/index.js';
import type { ConnectionRecord, UserRecord } from '../../storage/types.js';
import { authorizeDeps, sendNext } from '../authorize-flow.js';
import { browserId, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { type LoadedInteraction, renderAuthorizeLogin } from '../interaction-pages.js';
import { lazyChrome } from '../page-chrome.js';
import { codeGone, type DeviceInteraction, interactionUrl, renderDeviceLogin, resumeDeviceInteraction } from './device.js';
import { noStore, sendErrorPage } from '../responses.js';

/** How long a person may take at the upstream, and to prove a link: seconds. */
export const FEDERATION_STATE_TTL = 600;

export interface FederationSetup {
  keys: FederationKeys;
  rp: RelyingPartyDeps;
}

/** The keys and relying-party settings, or undefined without a server secret (federation is then off). */
export function federationSetup(ctx: AppContext): FederationSetup | undefined {
  if (!ctx.keySecret) return undefined;
  return { keys: federationKeys(ctx.keySecret), rp: { serverSecret: ctx.keySecret, allowPrivate: ctx.config.fetchAllowPrivate } };
}

/** The interaction a federation route continues: an authorization request, or a device code (RFC 8628 §3.3). */
export type ResumedFederation =
  | (ResumedAuthorize & { interaction: LoadedInteraction })
  | { kind: 'device'; interaction: LoadedInteraction; device: DeviceInteraction };

/** OIDC Core §3.1.2.1: an authorization request's ui_locales; the device pages speak Accept-Language. */
export function federationUiLocales(resumed: ResumedFederation): string | undefined {
  return resumed.kind === 'device' ? undefined : resumed.request.uiLocales;
}

/** CSP form-action targets of the pages of the journey beyond the issuer: an authorization request's redirect URI. */
export function federationFormTargets(resumed: ResumedFederation): string[] {
  return resumed.kind === 'device' ? [] : [resumed.request.redirectUri];
}

/** What the URLs of the journey carry in their query: a device interaction's user code (never stored). */
export function journeyQuery(resumed: ResumedFederation): string {
  return resumed.kind === 'device' ? `?user_code=${encodeURIComponent(resumed.device.userCode)}` : '';
}

/** The page of the interaction, where the journey goes on. */
export function journeyUrl(resumed: ResumedFederation): string {
  return resumed.kind === 'device' ? interactionUrl(resumed.device) : `/interaction/${resumed.interaction.id}`;
}

/**
 * What the (encrypted) upstream state carries: the interaction id and, for a device interaction, its user code, so
 * the callback can resume the device code as the device pages do (the upstream cannot read it: secrets.ts newState).
 */
export function statePayload(resumed: ResumedFederation): string {
  return resumed.kind === 'device' ? `${resumed.interaction.id} ${resumed.device.userCode}` : resumed.interaction.id;
}

export function openStatePayload(payload: string): { interactionId: string; userCode?: string } {
  const [interactionId = '', userCode] = payload.split(' ', 2);
  return userCode === undefined ? { interactionId } : { interactionId, userCode };
}

const expired = new OAuthError('invalid_request', 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.');

/**
 * The interaction `id`, if it is bound to this browser and its request is still valid (authorize) or its device code
 * still pending for `userCode` (device: by default the user code of the URL's query); else a page is sent.
 */
export async function resumeFederation(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, id: string, userCode?: string): Promise<ResumedFederation | undefined> {
  const record = await ctx.store.interactions.find(digest(id), ctx.now());
  const browser = browserId(request);
  const subject = record && subjectOf(record);
  if (!record || !isBoundTo(record, browser === undefined ? undefined : digest(browser)) || !subject) {
    await sendErrorPage(reply, expired, { chrome: lazyChrome(ctx, request), message: message('error.sign_in_expired') });
    return undefined;
  }
  if (subject.kind === 'device') {
    const device = await resumeDeviceInteraction(ctx, request, { id, record }, subject.deviceCodeDigest, ...(userCode === undefined ? [] : [userCode]));
    if (!device) {
      await codeGone(ctx, request, reply);
      return undefined;
    }
    return { kind: 'device', interaction: { id, record }, device };
  }
  const resumed = await resumeAuthorize(authorizeDeps(ctx), record, subject.request);
  if (resumed.kind === 'error') {
    await sendNext(ctx, request, reply, resumed, subject.request.ui_locales);
    return undefined;
  }
  return { ...resumed, interaction: { id, record } };
}

/** A changed, replayed, expired or foreign `state`: a page, never a redirect (there is no trusted client to go to). */
export function sendBadState(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const err = new OAuthError('invalid_request', 'the state of the upstream sign-in is not valid', { status: 400 });
  return sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request), message: message('federation.error_state') });
}

export function sendUnknownConnection(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const err = new OAuthError('invalid_request', 'unknown or disabled connection', { status: 404 });
  return sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request), message: message('federation.error_unknown') });
}

/** The login page again, with what went wrong with the upstream. */
export function loginAgain(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, resumed: ResumedFederation, error: PageMessage, status: number, email?: string): Promise<FastifyReply> {
  if (resumed.kind === 'device') return renderDeviceLogin(ctx, request, reply, resumed.device, { error, status, ...(email !== undefined ? { email } : {}) });
  return renderAuthorizeLogin(ctx, request, reply, resumed.request, resumed.interaction, { error, status, ...(email !== undefined ? { email } : {}) });
}

/**
 * RFC 6749 §4.1.2.1: the journey ends at the client with `code` (access_denied when the person or the upstream
 * refused, temporarily_unavailable when the upstream could not be reached).
 */
export async function endAtClient(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resumed: ResumedFederation,
  code: 'access_denied' | 'temporarily_unavailable',
  description: string,
  provider: string,
): Promise<FastifyReply> {
  // RFC 8628 §3.3: a device learns only the person's decision; an upstream that refused leaves them the login page.
  if (resumed.kind === 'device') {
    const error = code === 'access_denied' ? message('device_federation.denied', { provider }) : message('federation.error_unavailable', { provider });
    return loginAgain(ctx, request, reply, resumed, error, code === 'access_denied' ? 403 : 503);
  }
  await ctx.store.interactions.delete(resumed.interaction.record.idDigest);
  const err = new OAuthError(code, description, { redirectable: true });
  const response = errorResponse(resumed.target, err, ctx.config.issuer);
  return sendNext(ctx, request, reply, response ? { kind: 'error', error: err, response } : { kind: 'error', error: err }, resumed.request.uiLocales);
}

/** Signed in through the upstream: a new session with amr ["fed"] (RFC 8176), recorded on the interaction. */
export async function completeUpstreamSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resumed: ResumedFederation,
  user: UserRecord,
  connection: ConnectionRecord,
): Promise<FastifyReply> {
  const { record } = resumed.interaction;
  const session = await startSession(ctx, request, reply, user.sub, ['fed']);
  await ctx.store.interactions.updateResult(record.idDigest, { ...record.result, sub: session.sub, sid: session.sid, authTime: session.authTime, amr: session.amr });
  request.log.info({ event: 'login.succeeded', via: 'federation' }, 'login succeeded');
  const by = { sub: session.sub, clientId: null, address: request.ip };
  const data = { sid: session.sid, amr: session.amr, via: 'federation', connection: connection.id };
  await recordEvent(ctx.store, { type: 'login.succeeded', by, sub: session.sub, clientId: record.clientId, data }, ctx.now(), request.log);
  return noStore(reply).redirect(journeyUrl(resumed), 303);
}
