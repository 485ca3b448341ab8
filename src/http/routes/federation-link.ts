/**
 * Linking an upstream identity to an existing account (issue 13): only after the upstream said the email is verified
 * (federation.ts) and the person signed in to the account with its password here, once. The pending link is a
 * one-time token in the form (its digest stored), bound to the browser and the interaction.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.js';
import { digest } from '../../core/tokens/hash.js';
import { linkIdentity } from '../../federation/sign-in.js';
import { federationLinkPage, message, type PageMessage } from '../../pages/index.js';
import type { FederationStateRecord } from '../../storage/types.js';
import { browserId, checkCsrf, csrfToken, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { submitLoginForm } from '../login-form.js';
import { lazyChrome, pageChrome } from '../page-chrome.js';
import { noStore, sendErrorPage, sendPage } from '../responses.js';
import { federationFormTargets, federationUiLocales, journeyQuery, journeyUrl, resumeFederation, type ResumedFederation, sendBadState } from './federation-journey.js';

export function linkAction(interactionId: string): string {
  return `/interaction/${interactionId}/federation-link`;
}

export async function renderLinkPage(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resumed: ResumedFederation,
  page: { link: string; email: string; provider: string; error?: PageMessage; status?: number },
): Promise<FastifyReply> {
  const body = federationLinkPage({
    action: linkAction(resumed.interaction.id) + journeyQuery(resumed),
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    link: page.link,
    email: page.email,
    provider: page.provider,
    ...(page.error ? { error: page.error } : {}),
    ...(await pageChrome(ctx, request, { uiLocales: federationUiLocales(resumed) })),
  });
  return sendPage(reply, body, { status: page.status ?? 200, formTargets: federationFormTargets(resumed) });
}

const badCsrf = new OAuthError('invalid_request', 'The form has expired. Reload the page to continue, or go back to the application and start again.', { status: 403 });

/** The pending link of this token, if it belongs to this interaction and this browser. */
async function pendingLink(ctx: AppContext, request: FastifyRequest, resumed: ResumedFederation, token: string | undefined): Promise<FederationStateRecord | undefined> {
  if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
  const state = await ctx.store.federationStates.find(digest(token), ctx.now());
  const browser = browserId(request);
  if (!state || state.kind !== 'link' || !state.sub || !state.upstreamSub || !state.email) return undefined;
  if (state.interactionDigest !== resumed.interaction.record.idDigest || browser === undefined || state.browserDigest !== digest(browser)) return undefined;
  return state;
}

/** POST /interaction/:id/federation-link: the existing account's password, then the link, then the journey goes on. */
async function submitLink(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id } = request.params as { id: string };
  const resumed = await resumeFederation(ctx, request, reply, id);
  if (!resumed) return reply;
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    return sendErrorPage(reply, badCsrf, { chrome: lazyChrome(ctx, request, federationUiLocales(resumed)), message: message('error.form_expired') });
  }
  const token = params.get('link');
  const state = await pendingLink(ctx, request, resumed, token);
  const user = state && (await ctx.store.users.findBySub(state.sub!));
  const connection = state && (await ctx.store.connections.find(state.connectionId));
  if (!state || !token || !user || user.email !== state.email || !connection?.enabled) return sendBadState(ctx, request, reply);
  // The account is the one the upstream's verified email named, whatever email the form carries.
  const form = new Map([['email', user.email], ['password', params.get('password') ?? '']]);
  const retry = await submitLoginForm(ctx, request, reply, form, resumed.interaction.record);
  if (retry) return renderLinkPage(ctx, request, reply, resumed, { link: token, email: user.email, provider: connection.name, error: retry.error, status: retry.status });
  // One link per pending state: of two tabs submitting at once, one links.
  const consumed = await ctx.store.federationStates.consume(digest(token), ctx.now());
  if (consumed) {
    const by = { sub: user.sub, clientId: null, address: request.ip };
    await linkIdentity({ store: ctx.store }, connection, { sub: state.upstreamSub!, email: state.email }, user, ctx.now(), by);
  }
  return noStore(reply).redirect(journeyUrl(resumed), 303);
}

export function registerFederationLink(app: FastifyInstance, ctx: AppContext): void {
  app.post('/interaction/:id/federation-link', { config: { page: true } }, (request, reply) => submitLink(ctx, request, reply));
}
