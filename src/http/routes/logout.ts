import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isOAuthError, OAuthError } from '../../core/errors.js';
import { logoutNotices, sessionClients } from '../../core/oidc/backchannel-logout.js';
import { frontchannelLogoutUrls, type LogoutRequest, postLogoutLocation, validateLogoutRequest } from '../../core/oidc/logout.js';
import { namesPerson } from '../../core/oidc/pairwise.js';
import { collectParams, rejectDuplicates } from '../../core/params.js';
import { recordEvent } from '../../observability/events.js';
import type { SessionRecord } from '../../storage/types.js';
import { frontchannelLogoutScriptPath, loggedOutPage, logoutConfirmPage, message, stillSignedInPage } from '../../pages/index.js';
import { checkCsrf, csrfToken, currentSession, endSession, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams, requestParams } from '../form.js';
import { lazyChrome, pageChrome } from '../page-chrome.js';
import { noStore, scriptSource, sendErrorPage, sendPage } from '../responses.js';

const forwarded = ['client_id', 'post_logout_redirect_uri', 'state'] as const;

/**
 * The answer once the session is over: back to the validated post_logout_redirect_uri, or the logged-out page. With
 * front-channel logout URIs (Front-Channel Logout 1.0 §4) the page frames them first and then continues there.
 */
async function finish(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, logout: LogoutRequest, uiLocales?: string, frontchannel: string[] = []): Promise<FastifyReply> {
  const location = postLogoutLocation(logout);
  if (location && (frontchannel.length === 0 || !/^https?:/i.test(location))) return noStore(reply).redirect(location, 303);
  const clientName = logout.client?.metadata.client_name;
  const chrome = await pageChrome(ctx, request, { uiLocales });
  const body = loggedOutPage({ ...(clientName ? { clientName } : {}), frontchannel, ...(location ? { continueTo: location } : {}), ...chrome });
  return sendPage(reply, body, { frames: frontchannel, ...(location ? { scripts: [scriptSource(ctx.config.issuer, frontchannelLogoutScriptPath)] } : {}) });
}

async function validate(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: ReadonlyMap<string, string>,
): Promise<LogoutRequest | undefined> {
  try {
    return await validateLogoutRequest(params, { clients: ctx.store.clients, keys: ctx.keys, issuer: ctx.config.issuer });
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    await sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request, params.get('ui_locales')) });
    return undefined;
  }
}

/** OpenID Connect RP-Initiated Logout 1.0: GET and POST at the end_session_endpoint. */
async function logout(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = requestParams(request);
  // RP-Initiated Logout 1.0 §2: ui_locales, the End-User's preferred languages for the pages, as at /authorize.
  const uiLocales = parsed.params.get('ui_locales');
  try {
    rejectDuplicates(parsed);
  } catch (err) {
    return sendErrorPage(reply, err as OAuthError, { chrome: lazyChrome(ctx, request, uiLocales) });
  }
  const logoutRequest = await validate(ctx, request, reply, parsed.params);
  if (!logoutRequest) return reply;
  const session = await currentSession(ctx, request);
  // §2: the OP MUST ask unless a valid id_token_hint names the signed-in person. With nobody signed in there is
  // nothing to ask about: the logout is complete, and a validated post_logout_redirect_uri is honoured (§3).
  // A pairwise client's ID token names the person by its own sub (OIDC Core §8.1).
  if (!session || (logoutRequest.hint && namesPerson(logoutRequest.hint.sub, session.sub, logoutRequest.client, ctx.pairwiseSalt))) {
    const frontchannel = await endSessionAndTell(ctx, request, reply, session);
    if (session) await recordLogout(ctx, request, session, logoutRequest);
    return finish(ctx, request, reply, logoutRequest, uiLocales, frontchannel);
  }
  // Otherwise ask: a logout link alone must not sign a person out (it could come from anywhere).
  const hidden: Record<string, string> = {};
  if (logoutRequest.client) hidden.client_id = logoutRequest.client.clientId;
  if (logoutRequest.postLogoutRedirectUri) hidden.post_logout_redirect_uri = logoutRequest.postLogoutRedirectUri;
  if (logoutRequest.state !== undefined) hidden.state = logoutRequest.state;
  if (uiLocales !== undefined) hidden.ui_locales = uiLocales;
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const clientName = logoutRequest.client?.metadata.client_name;
  const chrome = await pageChrome(ctx, request, { uiLocales });
  const body = logoutConfirmPage({ action: '/logout/confirm', csrf, hidden, ...(clientName ? { clientName } : {}), ...chrome });
  const targets = logoutRequest.postLogoutRedirectUri ? [logoutRequest.postLogoutRedirectUri] : [];
  return sendPage(reply, body, { formTargets: targets });
}

async function confirm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  const uiLocales = params.get('ui_locales');
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    const expired = new OAuthError('invalid_request', 'The form has expired. Try signing out again.', { status: 403 });
    return sendErrorPage(reply, expired, { chrome: lazyChrome(ctx, request, uiLocales), message: message('error.logout_form_expired') });
  }
  const kept = collectParams(forwarded.flatMap((name) => (params.has(name) ? [[name, params.get(name) as string] as [string, string]] : [])));
  const logoutRequest = await validate(ctx, request, reply, kept.params);
  if (!logoutRequest) return reply;
  if (params.get('logout') !== 'yes') {
    // §3: the RP asked to have the browser back after its logout (its own session is over either way); the person
    // only declined to end the session here, so a validated post_logout_redirect_uri is still honoured.
    const location = postLogoutLocation(logoutRequest);
    if (location) return noStore(reply).redirect(location, 303);
    const clientName = logoutRequest.client?.metadata.client_name;
    return sendPage(reply, stillSignedInPage({ ...(clientName ? { clientName } : {}), ...(await pageChrome(ctx, request, { uiLocales })) }));
  }
  const session = await currentSession(ctx, request);
  const frontchannel = await endSessionAndTell(ctx, request, reply, session);
  if (session) await recordLogout(ctx, request, session, logoutRequest);
  return finish(ctx, request, reply, logoutRequest, uiLocales, frontchannel);
}

/**
 * Ends the browser's session, then (Back-Channel Logout 1.0 §2.5) every client of that session with a
 * backchannel_logout_uri gets a logout token, in the background: the answer to the person does not wait for them.
 * Returns the front-channel logout URLs of the session's clients, for the logged-out page.
 */
async function endSessionAndTell(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, session: SessionRecord | undefined): Promise<string[]> {
  const clients = session ? await sessionClients(ctx.store, { sub: session.sub, sids: [session.sid] }) : [];
  await endSession(ctx, request, reply);
  const notices = logoutNotices(clients);
  if (notices.length > 0) ctx.backchannelLogout?.send(notices);
  return frontchannelLogoutUrls(clients, ctx.config.issuer);
}

function recordLogout(ctx: AppContext, request: FastifyRequest, session: SessionRecord, logoutRequest: LogoutRequest): Promise<void> {
  const by = { sub: session.sub, clientId: null, address: request.ip };
  const clientId = logoutRequest.client?.clientId ?? null;
  return recordEvent(ctx.store, { type: 'logout', by, sub: session.sub, clientId, data: { sid: session.sid } }, ctx.now(), request.log);
}

export function registerLogout(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.get('/logout', options, (request, reply) => logout(ctx, request, reply));
  app.post('/logout', options, (request, reply) => logout(ctx, request, reply));
  app.post('/logout/confirm', options, (request, reply) => confirm(ctx, request, reply));
}
