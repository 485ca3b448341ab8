import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthorizationRequest, type RedirectTarget, resolveRedirectTarget } from '../core/authorize/request.js';
import { readAuthorizationRequest, type ReadDeps } from '../core/authorize/read.js';
import { authorizationSigningAlg, errorResponse, fapi2AuthorizationSigningAlg, sealResponse } from '../core/authorize/respond.js';
import { inlineClientKeys } from '../core/client-auth/client-keys.js';
import { isOAuthError } from '../core/errors.js';
import { isFapi2, profiledClients } from '../core/fapi/profile.js';
import { outboundFetch } from '../outbound/index.js';
import type { AuthorizeJourneyDeps } from '../core/interaction/authorize.js';
import { type ErrorStep, errorStep, type Issue, type Next } from '../core/interaction/next.js';
import { newInteraction } from '../core/interaction/record.js';
import type { ParsedParams } from '../core/params.js';
import { digest, randomToken } from '../core/tokens/hash.js';
import { ensureBrowserId } from './cookies.js';
import type { AppContext } from './context.js';
import { type LoadedInteraction, renderAuthorizeLogin, renderConsent } from './interaction-pages.js';
import { lazyChrome } from './page-chrome.js';
import { renderSecondFactor } from './routes/second-factor-page.js';
import { noStore, sendAuthorizationResponse, sendErrorPage } from './responses.js';

export function authorizeDeps(ctx: AppContext): AuthorizeJourneyDeps {
  const { config } = ctx;
  return {
    store: ctx.store,
    // The FAPI 2.0 profile's implied metadata, for every check of the authorization request (core/fapi/profile.ts).
    clients: profiledClients(ctx.store.clients, config),
    keys: ctx.keys,
    policy: {
      issuer: config.issuer,
      accessTokenTtl: config.accessTokenTtl,
      idTokenTtl: config.idTokenTtl,
      refreshTokenTtl: config.refreshTokenTtl,
      codeTtl: config.codeTtl,
      pairwiseSalt: ctx.pairwiseSalt,
      mfa: config.mfa,
      requirePar: config.requirePar,
    },
  };
}

/** A remote request_uri (LATCH_REQUEST_URI_REMOTE): its request object, fetched under the outbound rules. */
async function fetchRequestObject(uri: string, allowPrivate: boolean): Promise<string> {
  const answer = await outboundFetch(uri, {
    allowPrivate,
    timeoutMs: 5000,
    maxBytes: 64 * 1024,
    headers: { accept: 'application/oauth-authz-req+jwt, application/jwt' },
  });
  return answer.body.toString('utf8');
}

/** What step 0 of the pipeline (core/authorize/read.ts) needs: the clients, /par's records, the client keys. */
export function readDeps(ctx: AppContext): ReadDeps {
  const now = ctx.now();
  const { config } = ctx;
  return {
    clients: profiledClients(ctx.store.clients, config),
    pushedRequests: ctx.store.pushedRequests,
    requestObjects: { clientKeys: ctx.clientKeys ?? inlineClientKeys, replay: ctx.store.replay, issuer: config.issuer, now },
    ...(config.requestUriRemote && { fetchRequestUri: (uri: string) => fetchRequestObject(uri, config.fetchAllowPrivate) }),
    now,
  };
}

/**
 * Step 0 over HTTP: the request as its PAR record or request object says. A redirectable error goes to the redirect
 * URI of the outer parameters when client and redirect URI are trusted (RFC 9101 §6.3); else an error page.
 */
export async function readRequestOrRespond(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  outer: ParsedParams,
): Promise<ParsedParams | undefined> {
  try {
    return await readAuthorizationRequest(outer, readDeps(ctx), 'authorize');
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    const uiLocales = outer.params.get('ui_locales');
    const target = err.redirectable ? await resolveRedirectTarget(outer, ctx.store.clients).catch(() => undefined) : undefined;
    if (target) {
      request.clientId = target.client.clientId;
      await sendAuthorizeError(ctx, request, reply, target, err, uiLocales);
    } else {
      await sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request, uiLocales) });
    }
    return undefined;
  }
}

/** Step 1 of the pipeline over HTTP: which client and redirect URI errors may go to; an error page otherwise. */
export async function redirectTargetOrPage(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  parsed: ParsedParams,
): Promise<RedirectTarget | undefined> {
  try {
    const target = await resolveRedirectTarget(parsed, profiledClients(ctx.store.clients, ctx.config));
    request.clientId = target.client.clientId;
    return target;
  } catch (err) {
    if (!isOAuthError(err)) throw err;
    await sendErrorPage(reply, err, { chrome: lazyChrome(ctx, request, parsed.params.get('ui_locales')) });
    return undefined;
  }
}

export async function sendAuthorizeError(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: RedirectTarget,
  err: unknown,
  uiLocales?: string,
): Promise<FastifyReply> {
  if (!isOAuthError(err)) throw err;
  return sendNext(ctx, request, reply, errorStep(err, errorResponse(target, err, ctx.config.issuer)), uiLocales);
}

/** The last steps in HTTP: the authorization response (a redirect or form_post, JARM signed now), or an error page. */
export async function sendNext(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  next: Issue | ErrorStep,
  uiLocales: string | undefined,
): Promise<FastifyReply> {
  const chrome = lazyChrome(ctx, request, uiLocales);
  const { response } = next;
  if (response === undefined) return sendErrorPage(reply, (next as ErrorStep).error, { chrome });
  // FAPI 2.0 §5.4.1: a client under the profile gets its JARM response signed with an algorithm the profile allows.
  const client = response.kind === 'jwt' ? await profiledClients(ctx.store.clients, ctx.config).find(response.clientId) : undefined;
  const alg = client && isFapi2(client) ? fapi2AuthorizationSigningAlg : authorizationSigningAlg;
  const sealed = await sealResponse(response, ctx.keys, ctx.config.issuer, ctx.now(), alg);
  return sendAuthorizationResponse(reply, sealed, ctx.config.issuer, chrome);
}

/**
 * Translates what comes next for an authorization request into HTTP. Without an interaction yet (a fresh /authorize
 * request that needs the person), one is started, bound to this browser, and the browser is sent to it.
 */
export async function sendAuthorizeNext(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  next: Next,
  authz: AuthorizationRequest,
  interaction: LoadedInteraction | undefined,
): Promise<FastifyReply> {
  if (next.kind === 'issue' || next.kind === 'error') return sendNext(ctx, request, reply, next, authz.uiLocales);
  if (interaction) {
    if (next.kind === 'login') return renderAuthorizeLogin(ctx, request, reply, authz, interaction);
    if (next.kind === 'second_factor') return renderSecondFactor(ctx, request, reply, authz, next, interaction);
    return renderConsent(ctx, request, reply, authz, next, interaction);
  }
  const now = ctx.now();
  const id = randomToken();
  const browser = ensureBrowserId(ctx, request, reply);
  const start = { idDigest: digest(id), clientId: authz.client.clientId, browserDigest: digest(browser), now, expiresAt: now + ctx.config.interactionTtl };
  await ctx.store.interactions.create(newInteraction({ kind: 'authorize', request: authz.params }, start));
  return noStore(reply).redirect(`/interaction/${id}`, 303);
}
