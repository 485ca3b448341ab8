import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forPerson } from '../../core/authorize/proceed.js';
import { answerConsent, nextAuthorize, resumeAuthorize, type ResumedAuthorize } from '../../core/interaction/authorize.js';
import { authenticationFor, subjectOf } from '../../core/interaction/record.js';
import { OAuthError } from '../../core/errors.js';
import { recordEvent } from '../../observability/events.js';
import { checkCsrf, currentSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { submitLoginForm } from '../login-form.js';
import { message } from '../../pages/index.js';
import { lazyChrome } from '../page-chrome.js';
import { noStore, sendErrorPage } from '../responses.js';
import { authorizeDeps, sendAuthorizeNext, sendNext } from '../authorize-flow.js';
import { type LoadedInteraction, loadInteraction, renderAuthorizeLogin } from '../interaction-pages.js';
import { consentScopes } from '../../core/oidc/claims.js';

// A form of this browser goes stale when the browser signs in (in another tab, say): its interaction is still there.
const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page to continue, or go back to the application and start again.', { status: 403 });
const expired = new OAuthError('invalid_request', 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.');

interface Resumed extends ResumedAuthorize {
  interaction: LoadedInteraction;
}

/** Loads the authorize interaction bound to this browser and re-validates its authorization request. */
async function resume(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<Resumed | undefined> {
  const interaction = await loadInteraction(ctx, request);
  const subject = interaction && subjectOf(interaction.record);
  if (!interaction || subject?.kind !== 'authorize') {
    await sendErrorPage(reply, expired, { chrome: lazyChrome(ctx, request), message: message('error.sign_in_expired') });
    return undefined;
  }
  const resumed = await resumeAuthorize(authorizeDeps(ctx), interaction.record, subject.request);
  if (resumed.kind === 'error') {
    await sendNext(ctx, request, reply, resumed, subject.request.ui_locales);
    return undefined;
  }
  return { ...resumed, interaction };
}

async function signedIn(ctx: AppContext, request: FastifyRequest, resumed: Resumed) {
  return authenticationFor(resumed.interaction.record, await currentSession(ctx, request));
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const auth = await signedIn(ctx, request, resumed);
  const next = await nextAuthorize(authorizeDeps(ctx), resumed.target, resumed.request, auth, resumed.interaction.record, ctx.now());
  return sendAuthorizeNext(ctx, request, reply, next, resumed.request, resumed.interaction);
}

function formExpired(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, resumed: Resumed): Promise<FastifyReply> {
  return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request, resumed.request.uiLocales), message: message('error.form_expired') });
}

async function login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return formExpired(ctx, request, reply, resumed);
  const retry = await submitLoginForm(ctx, request, reply, params, resumed.interaction.record);
  if (retry) return renderAuthorizeLogin(ctx, request, reply, resumed.request, resumed.interaction, retry);
  return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
}

async function consent(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resumed = await resume(ctx, request, reply);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) return formExpired(ctx, request, reply, resumed);
  // The person consents to their share of the scopes only (no admin scopes without the admin role).
  const { auth, authz } = await forPerson(ctx.store.users, resumed.request, await signedIn(ctx, request, resumed));
  if (!auth) return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
  const now = ctx.now();
  const allowed = params.get('decision') === 'allow';
  const denied = await answerConsent(authorizeDeps(ctx), resumed, resumed.interaction.record, auth, consentScopes(authz), allowed, now);
  const event = { by: { sub: auth.sub, clientId: null, address: request.ip }, sub: auth.sub, clientId: authz.client.clientId, data: { scopes: authz.scopes } };
  await recordEvent(ctx.store, { type: allowed ? 'consent.granted' : 'consent.denied', ...event }, now, request.log);
  if (denied) return sendNext(ctx, request, reply, denied, resumed.request.uiLocales);
  return noStore(reply).redirect(`/interaction/${resumed.interaction.id}`, 303);
}

export function registerInteraction(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.get('/interaction/:id', options, (request, reply) => show(ctx, request, reply));
  app.post('/interaction/:id/login', options, (request, reply) => login(ctx, request, reply));
  app.post('/interaction/:id/consent', options, (request, reply) => consent(ctx, request, reply));
}
