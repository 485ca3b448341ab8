import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authentication } from '../core/authorize/decide.js';
import { type AuthorizeDeps, proceed } from '../core/authorize/proceed.js';
import { type AuthorizationRequest, type RedirectTarget, resolveRedirectTarget } from '../core/authorize/request.js';
import { errorResponse } from '../core/authorize/respond.js';
import { isOAuthError } from '../core/errors.js';
import type { ParsedParams } from '../core/params.js';
import { digest, randomToken } from '../core/tokens/hash.js';
import type { InteractionRecord } from '../storage/types.js';
import { ensureBrowserId } from './cookies.js';
import type { AppContext } from './context.js';
import { renderInteraction } from './interaction-pages.js';
import { lazyChrome } from './page-chrome.js';
import { noStore, sendAuthorizationResponse, sendErrorPage } from './responses.js';

/** An interaction as the routes hold it: the id from its URL (never stored) and its record. */
export interface LoadedInteraction {
  id: string;
  record: InteractionRecord;
}

export function authorizeDeps(ctx: AppContext): AuthorizeDeps {
  const { config } = ctx;
  return {
    store: ctx.store,
    keys: ctx.keys,
    policy: {
      issuer: config.issuer,
      accessTokenTtl: config.accessTokenTtl,
      idTokenTtl: config.idTokenTtl,
      refreshTokenTtl: config.refreshTokenTtl,
      codeTtl: config.codeTtl,
    },
  };
}

/** Step 1 of the pipeline over HTTP: which client and redirect URI errors may go to; an error page otherwise. */
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
  const response = errorResponse(target, err, ctx.config.issuer);
  if (!response) return sendErrorPage(reply, err, { chrome });
  return sendAuthorizationResponse(reply, response, ctx.config.issuer, chrome);
}

/**
 * Decides and acts: issue the response now, or send the person to (or show them) the login or consent page.
 * Runs for a fresh /authorize request and again each time an interaction page is loaded.
 */
export async function proceedOverHttp(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  requested: AuthorizationRequest,
  signedIn: Authentication | undefined,
  interaction: LoadedInteraction | undefined,
): Promise<FastifyReply> {
  const now = ctx.now();
  const outcome = await proceed(authorizeDeps(ctx), requested, signedIn, interaction?.record.result.consented, now);
  if (outcome.kind === 'issue') {
    if (interaction) await ctx.store.interactions.delete(interaction.record.idDigest);
    return sendAuthorizationResponse(reply, outcome.response, ctx.config.issuer, lazyChrome(ctx, request, requested.uiLocales));
  }
  if (interaction) return renderInteraction(ctx, request, reply, outcome, interaction);

  const authz = outcome.request;
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
