import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authentication } from '../../core/authorize/decide.js';
import { forPerson } from '../../core/authorize/proceed.js';
import { type AuthorizationRequest, type RedirectTarget, storedParams } from '../../core/authorize/request.js';
import { validateAuthorizationRequest } from '../../core/authorize/validate.js';
import { OAuthError } from '../../core/errors.js';
import { digest } from '../../core/tokens/hash.js';
import { recordEvent } from '../../observability/events.js';
import { browserId, checkCsrf, currentSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { submitLoginForm } from '../login-form.js';
import { message } from '../../interaction/index.js';
import { lazyChrome } from '../page-chrome.js';
import { noStore, sendErrorPage } from '../responses.js';
import { type LoadedInteraction, proceedOverHttp, redirectTargetOrPage, sendAuthorizeError } from '../authorize-flow.js';
import { renderLogin } from '../interaction-pages.js';

// A form of this browser goes stale when the browser signs in (in another tab, say): its interaction is still there.
const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page to continue, or go back to the application and start again.', { status: 403 });
const expired = new OAuthError('invalid_request', 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.');

interface Resumed {
  interaction: LoadedInteraction;
  target: RedirectTarget;
  authz: AuthorizationRequest;
}

/** Loads the interaction bound to this browser and re-validates its authorization request. */
async function resume(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<Resumed | undefined> {
  const { id } = request.params as { id: string };
  const record = await ctx.store.interactions.find(digest(id), ctx.now());
  const browser = browserId(request);
  if (!record || !browser || record.browserDigest !== digest(browser)) {
    await sendErrorPage(reply, expired, { chrome: lazyChrome(ctx, request), message: message('error.sign_in_expired') });
    return undefined;
  }
  const parsed = storedParams(record.request);
  const uiLocales = parsed.params.get('ui_locales');
  const target = await redirectTargetOrPage(ctx, request, reply, parsed);
  if (!target) return undefined;
  try {
    const authz = validateAuthorizationRequest(parsed, target);
    return { interaction: { id, record }, target, authz };
  } catch (err) {
    await ctx.store.interactions.delete(record.idDigest);
    await sendAuthorizeError(ctx, request, reply, target, err, uiLocales);
    return undefined;
  }
}

async function authenticationFor(ctx: AppContext, request: FastifyRequest, resumed: Resumed): Promise<Authentication | undefined> {
  const { result } = resumed.interaction.record;
  if (result.sub && result.sid && result.authTime !== undefined) {
    return { sub: result.sub, sid: result.sid, authTime: result.authTime, fresh: true };
  }
  const session = await currentSession(ctx, request);
  return session && { sub: session.sub, sid: session.sid, authTime: session.authTime, fresh: false };
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  try {
    const auth = await authenticationFor(ctx, request, resumed);
    return await proceedOverHttp(ctx, request, reply, resumed.authz, auth, resumed.interaction);
  } catch (err) {
    return sendAuthorizeError(ctx, request, reply, resumed.target, err, resumed.authz.uiLocales);
  }
}

function formExpired(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, resumed: Resumed): Promise<FastifyReply> {
  return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request, resumed.authz.uiLocales), message: message('error.form_expired') });
}

async function login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return formExpired(ctx, request, reply, resumed);
  const retry = await submitLoginForm(ctx, request, reply, params, resumed.interaction.record);
  if (retry) return renderLogin(ctx, request, reply, resumed.authz, resumed.interaction, retry);
  return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
}

async function consent(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return formExpired(ctx, request, reply, resumed);
  // The person consents to their share of the scopes only (no admin scopes without the admin role).
  const { auth, authz } = await forPerson(ctx.store.users, resumed.authz, await authenticationFor(ctx, request, resumed));
  if (!auth) return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
  const { record } = resumed.interaction;
  const now = ctx.now();
  const clientId = authz.client.clientId;
  const event = { by: { sub: auth.sub, clientId: null, address: request.ip }, sub: auth.sub, clientId };
  if (params.get('decision') !== 'allow') {
    await ctx.store.interactions.delete(record.idDigest);
    await recordEvent(ctx.store, { type: 'consent.denied', ...event, data: { scopes: authz.scopes } }, now, request.log);
    const denied = new OAuthError('access_denied', 'the person denied the request', { redirectable: true });
    return sendAuthorizeError(ctx, request, reply, resumed.target, denied, resumed.authz.uiLocales);
  }
  const existing = await ctx.store.consents.find(auth.sub, clientId);
  const scopes = [...new Set([...(existing?.scopes ?? []), ...authz.scopes])].sort();
  await ctx.store.consents.upsert({
    sub: auth.sub,
    clientId,
    scopes,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  await ctx.store.interactions.updateResult(record.idDigest, { ...record.result, consented: authz.scopes });
  await recordEvent(ctx.store, { type: 'consent.granted', ...event, data: { scopes: authz.scopes } }, now, request.log);
  return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
}

export function registerInteraction(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.get('/interaction/:id', options, (request, reply) => show(ctx, request, reply));
  app.post('/interaction/:id/login', options, (request, reply) => login(ctx, request, reply));
  app.post('/interaction/:id/consent', options, (request, reply) => consent(ctx, request, reply));
}
