import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDisabled, scopesForPerson } from '../../core/accounts/person-scopes.js';
import { type Authentication, decide } from '../../core/authorize/decide.js';
import { issueAuthorizationResponse } from '../../core/authorize/issue-response.js';
import { type AuthorizationRequest, type RedirectTarget, resolveRedirectTarget, validateAuthorizationRequest } from '../../core/authorize/request.js';
import { buildAuthorizationResponse } from '../../core/authorize/response.js';
import { OAuthError, isOAuthError } from '../../core/errors.js';
import { collectParams, type ParsedParams } from '../../core/params.js';
import { digest, randomToken } from '../../core/tokens/hash.js';
import { JWT_ACCESS_TOKEN_TYPE } from '../../core/tokens/jwt-access-token.js';
import { resolveResource } from '../../core/tokens/resource.js';
import type { InteractionRecord } from '../../storage/types.js';
import { currentSession, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { lazyChrome } from '../page-chrome.js';
import { requestParams } from '../form.js';
import { sendAuthorizationResponse, sendErrorPage, noStore } from '../responses.js';
import { renderInteraction } from './interaction-pages.js';

export interface LoadedInteraction {
  id: string;
  record: InteractionRecord;
}

/** Step 1 of /authorize, shared with the interaction routes: which client and redirect URI errors may go to. */
export async function redirectTargetOrPage(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  parsed: ParsedParams,
): Promise<RedirectTarget | undefined> {
  try {
    return await resolveRedirectTarget(parsed, ctx.store.clients);
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
  const chrome = lazyChrome(ctx, request, uiLocales);
  if (!err.redirectable) return sendErrorPage(reply, err, { chrome });
  // RFC 6749 §4.1.2.1: errors go back to the client's redirect URI with error, error_description and state.
  const response = buildAuthorizationResponse(
    target.redirectUri,
    target.responseMode,
    { error: err.code, error_description: err.description, state: target.state },
    ctx.config.issuer,
  );
  return sendAuthorizationResponse(reply, response, ctx.config.issuer, chrome);
}

async function hintSubject(ctx: AppContext, idTokenHint: string | undefined): Promise<string | undefined> {
  if (!idTokenHint) return undefined;
  try {
    const { payload, protectedHeader } = await ctx.keys.verify(idTokenHint, { allowExpired: true });
    // RFC 9068 §2.1: a JWT access token (typ at+jwt) is never accepted where an ID token is expected.
    const isAccessToken = protectedHeader.typ === JWT_ACCESS_TOKEN_TYPE;
    if (payload.iss === ctx.config.issuer && typeof payload.sub === 'string' && !isAccessToken) return payload.sub;
  } catch {
    // fall through
  }
  throw new OAuthError('invalid_request', 'id_token_hint is not a valid ID token issued by this server', { redirectable: true });
}

/**
 * Decides and acts: issue the response now, or send the person to (or show them) the login or consent page.
 * Runs for a fresh /authorize request and again each time an interaction page is loaded.
 */
export async function proceed(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  requested: AuthorizationRequest,
  signedIn: Authentication | undefined,
  interaction: LoadedInteraction | undefined,
): Promise<FastifyReply> {
  const now = ctx.now();
  // RFC 8707: an unknown API or a scope it does not define is refused before the person is asked anything.
  await resolveResource(
    { client: requested.client, resource: requested.resource, scopes: requested.scopes, mode: 'reject', redirectable: true },
    ctx.store.apis,
  );
  // The person is asked for, and granted, only their share of the scopes (no admin scopes without the admin role);
  // a disabled account (whose sessions ended with it) counts as nobody signed in.
  const { auth, authz } = await forPerson(ctx, requested, signedIn);
  const hintSub = await hintSubject(ctx, authz.idTokenHint);
  const consent = auth ? await ctx.store.consents.find(auth.sub, authz.client.clientId) : undefined;
  const decision = decide({ request: authz, auth, consent, consentedNow: interaction?.record.result.consented, hintSub, now });

  if (decision.kind === 'issue') {
    const { config } = ctx;
    const issued = await issueAuthorizationResponse(
      authz,
      decision.auth,
      {
        store: ctx.store,
        keys: ctx.keys,
        policy: {
          issuer: config.issuer,
          accessTokenTtl: config.accessTokenTtl,
          idTokenTtl: config.idTokenTtl,
          refreshTokenTtl: config.refreshTokenTtl,
          codeTtl: config.codeTtl,
        },
      },
      now,
    );
    if (interaction) await ctx.store.interactions.delete(interaction.record.idDigest);
    const response = buildAuthorizationResponse(authz.redirectUri, authz.responseMode, { ...issued, state: authz.state }, config.issuer);
    return sendAuthorizationResponse(reply, response, ctx.config.issuer, lazyChrome(ctx, request, authz.uiLocales));
  }
  if (interaction) return renderInteraction(ctx, request, reply, authz, decision, interaction);

  const id = randomToken();
  const browser = ensureBrowserId(ctx, request, reply);
  await ctx.store.interactions.create({
    idDigest: digest(id),
    clientId: authz.client.clientId,
    request: { ...authz.params },
    browserDigest: digest(browser),
    result: {},
    createdAt: now,
    expiresAt: now + ctx.config.interactionTtl,
  });
  return noStore(reply).redirect(`/interaction/${id}`, 303);
}

/** The request as it applies to the signed-in person: their share of the scopes; nobody for a disabled account. */
export async function forPerson(
  ctx: AppContext,
  authz: AuthorizationRequest,
  auth: Authentication | undefined,
): Promise<{ auth: Authentication | undefined; authz: AuthorizationRequest }> {
  if (!auth) return { auth, authz };
  const user = await ctx.store.users.findBySub(auth.sub);
  if (!user || isDisabled(user)) return { auth: undefined, authz };
  const scopes = scopesForPerson(user, authz.scopes);
  return { auth, authz: scopes.length === authz.scopes.length ? authz : { ...authz, scopes } };
}

/** Re-validates a stored request (the client may have changed meanwhile). */
export function storedParams(record: InteractionRecord): ParsedParams {
  return collectParams(Object.entries(record.request));
}

export function registerAuthorize(app: FastifyInstance, ctx: AppContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = requestParams(request);
    const target = await redirectTargetOrPage(ctx, request, reply, parsed);
    if (!target) return reply;
    try {
      const authz = validateAuthorizationRequest(parsed, target);
      const session = await currentSession(ctx, request);
      const auth = session && { sub: session.sub, sid: session.sid, authTime: session.authTime, fresh: false };
      return await proceed(ctx, request, reply, authz, auth, undefined);
    } catch (err) {
      return sendAuthorizeError(ctx, request, reply, target, err, parsed.params.get('ui_locales'));
    }
  };
  // OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST.
  app.get('/authorize', { config: { page: true } }, handler);
  app.post('/authorize', { config: { page: true } }, handler);
}
