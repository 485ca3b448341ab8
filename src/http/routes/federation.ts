/**
 * Sign in with another provider (issue 13), over HTTP: the login page's "Continue with <name>" form sends the browser
 * upstream (code flow, PKCE S256, state, nonce); the callback consumes the state (once, in the browser that started
 * it), lets openid-client exchange the code and validate the ID token, and signs the person in, creates them just in
 * time, or asks them to prove the existing account before linking (federation-link.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { digest, randomToken } from '../../core/tokens/hash.js';
import { outboundCause } from '../../federation/fetch.js';
import { authorizationUrl, callbackUrl, finishUpstream, upstreamConfig } from '../../federation/relying-party.js';
import { newState, openState } from '../../federation/secrets.js';
import { resolveUpstream } from '../../federation/sign-in.js';
import { message, upstreamRedirectPage } from '../../pages/index.js';
import type { ConnectionRecord } from '../../storage/types.js';
import { browserId, checkCsrf } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { accountDisabled } from '../login-form.js';
import { lazyChrome, pageChrome } from '../page-chrome.js';
import { noStore, sendErrorPage, sendPage } from '../responses.js';
import { OAuthError } from '../../core/errors.js';
import {
  completeUpstreamSignIn,
  endAtClient,
  FEDERATION_STATE_TTL,
  federationSetup,
  federationUiLocales,
  loginAgain,
  openStatePayload,
  resumeFederation,
  sendBadState,
  sendUnknownConnection,
  statePayload,
} from './federation-journey.js';
import { upstreamTarget } from './federation-choices.js';
import { registerFederationLink, renderLinkPage } from './federation-link.js';

async function enabledConnection(ctx: AppContext, id: string): Promise<ConnectionRecord | undefined> {
  const connection = await ctx.store.connections.find(id);
  return connection?.enabled ? connection : undefined;
}

const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page to continue, or go back to the application and start again.', { status: 403 });

/** POST /interaction/:id/federation/:connectionId: to the upstream's authorization endpoint. */
async function start(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id, connectionId } = request.params as { id: string; connectionId: string };
  const resumed = await resumeFederation(ctx, request, reply, id);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request, federationUiLocales(resumed)), message: message('error.form_expired') });
  }
  const setup = federationSetup(ctx);
  const connection = await enabledConnection(ctx, connectionId);
  if (!setup || !connection) return sendUnknownConnection(ctx, request, reply);
  let config;
  try {
    config = await upstreamConfig(connection, setup.rp);
  } catch (err) {
    request.log.warn({ err: outboundCause(err)?.message ?? String((err as Error).message), connection: connection.id }, 'upstream provider unreachable');
    return loginAgain(ctx, request, reply, resumed, message('federation.error_unavailable', { provider: connection.name }), 503);
  }
  const now = ctx.now();
  const state = await newState(setup.keys, statePayload(resumed));
  // Only the digest of the state is stored; the PKCE verifier and the nonce are derived from it (secrets.ts).
  await ctx.store.federationStates.create({
    digest: digest(state),
    kind: 'start',
    connectionId: connection.id,
    interactionDigest: resumed.interaction.record.idDigest,
    browserDigest: digest(browserId(request) ?? ''),
    upstreamSub: null,
    email: null,
    sub: null,
    createdAt: now,
    expiresAt: now + FEDERATION_STATE_TTL,
  });
  const url = await authorizationUrl(connection, config, setup.keys, state, callbackUrl(ctx.config.issuer, connection.id));
  const target = upstreamTarget(connection);
  if (target === undefined || new URL(target).origin !== url.origin) {
    // Browsers apply the login page's form-action to this answer's redirect too: another origin goes by a page.
    const body = upstreamRedirectPage({ href: url.href, provider: connection.name, ...(await pageChrome(ctx, request, { uiLocales: federationUiLocales(resumed) })) });
    return sendPage(reply.header('Refresh', `0; url=${url.href}`), body);
  }
  return noStore(reply).redirect(url.href, 303);
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** GET /federation/:connectionId/callback: the upstream's authorization response. */
async function callback(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { connectionId } = request.params as { connectionId: string };
  const query = request.query as Record<string, unknown>;
  const setup = federationSetup(ctx);
  const state = single(query.state);
  // RFC 6749 §10.12: the state binds the answer to the browser that asked; anything else is refused with a page.
  const payload = setup && state ? await openState(setup.keys, state) : undefined;
  if (!setup || !state || payload === undefined) return sendBadState(ctx, request, reply);
  const { interactionId, userCode } = openStatePayload(payload);
  const now = ctx.now();
  const record = await ctx.store.federationStates.consume(digest(state), now);
  const browser = browserId(request);
  if (!record || record.kind !== 'start' || record.connectionId !== connectionId || browser === undefined || record.browserDigest !== digest(browser) || record.interactionDigest !== digest(interactionId)) {
    return sendBadState(ctx, request, reply);
  }
  const resumed = await resumeFederation(ctx, request, reply, interactionId, userCode);
  if (!resumed) return reply;
  const connection = await enabledConnection(ctx, connectionId);
  if (!connection) return sendUnknownConnection(ctx, request, reply);

  const upstreamError = single(query.error);
  if (upstreamError !== undefined) {
    request.log.info({ connection: connection.id, error: upstreamError.slice(0, 64) }, 'the upstream refused the sign-in');
    if (upstreamError === 'access_denied') return endAtClient(ctx, request, reply, resumed, 'access_denied', `${connection.name} denied the sign-in`, connection.name);
    return endAtClient(ctx, request, reply, resumed, 'temporarily_unavailable', `${connection.name} could not sign the person in`, connection.name);
  }

  let profile;
  try {
    const config = await upstreamConfig(connection, setup.rp);
    const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    profile = await finishUpstream(connection, config, setup.keys, state, new URL(callbackUrl(ctx.config.issuer, connection.id) + rawQuery));
  } catch (err) {
    const unreachable = outboundCause(err);
    request.log.warn({ connection: connection.id, reason: unreachable?.reason, err: unreachable?.message ?? String((err as Error).message) }, 'the upstream sign-in failed');
    if (unreachable) return endAtClient(ctx, request, reply, resumed, 'temporarily_unavailable', `${connection.name} cannot be reached`, connection.name);
    return loginAgain(ctx, request, reply, resumed, message('federation.error_response', { provider: connection.name }), 502);
  }

  const by = { sub: null, clientId: null, address: request.ip };
  const outcome = await resolveUpstream({ store: ctx.store, passwords: ctx.passwords }, connection, profile, now, by);
  switch (outcome.kind) {
    case 'user':
      return completeUpstreamSignIn(ctx, request, reply, resumed, outcome.user, connection);
    case 'disabled':
      return loginAgain(ctx, request, reply, resumed, accountDisabled(), 403);
    case 'no_email':
      return loginAgain(ctx, request, reply, resumed, message('federation.error_no_email', { provider: connection.name }), 400);
    case 'unverified':
      return loginAgain(ctx, request, reply, resumed, message('federation.error_unverified', { provider: connection.name, email: outcome.user.email }), 409, outcome.user.email);
    case 'link': {
      const link = randomToken();
      await ctx.store.federationStates.create({
        digest: digest(link),
        kind: 'link',
        connectionId: connection.id,
        interactionDigest: resumed.interaction.record.idDigest,
        browserDigest: digest(browser),
        upstreamSub: profile.sub,
        email: outcome.user.email,
        sub: outcome.user.sub,
        createdAt: now,
        expiresAt: now + FEDERATION_STATE_TTL,
      });
      return renderLinkPage(ctx, request, reply, resumed, { link, email: outcome.user.email, provider: connection.name });
    }
  }
}

export function registerFederation(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.post('/interaction/:id/federation/:connectionId', options, (request, reply) => start(ctx, request, reply));
  app.get('/federation/:connectionId/callback', options, (request, reply) => callback(ctx, request, reply));
  registerFederationLink(app, ctx);
}
