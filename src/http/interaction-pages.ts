import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizeOutcome } from '../core/authorize/proceed.js';
import type { AuthorizationRequest } from '../core/authorize/request.js';
import { consentPage, loginPage, type PageMessage } from '../interaction/index.js';
import type { LoadedInteraction } from './authorize-flow.js';
import { csrfToken, ensureBrowserId } from './cookies.js';
import type { AppContext } from './context.js';
import { consentApi, consentClient, pageChrome } from './page-chrome.js';
import { sendPage } from './responses.js';

export function clientName(authz: AuthorizationRequest): string {
  return authz.client.metadata.client_name || authz.client.clientId;
}

export async function renderLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  interaction: LoadedInteraction,
  options: { email?: string; error?: PageMessage; status?: number } = {},
): Promise<FastifyReply> {
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const email = options.email ?? authz.loginHint;
  const body = loginPage({
    action: `/interaction/${interaction.id}/login`,
    csrf,
    clientName: clientName(authz),
    ...(email !== undefined ? { email } : {}),
    ...(options.error !== undefined ? { error: options.error } : {}),
    // OIDC Core §3.1.2.1: ui_locales is part of the stored request, so every page of the journey keeps it.
    ...(await pageChrome(ctx, request, { uiLocales: authz.uiLocales })),
  });
  return sendPage(reply, body, { status: options.status ?? 200, formTargets: [authz.redirectUri] });
}

/** Shows the login or the consent page that `next` asks for. */
export async function renderInteraction(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  next: Exclude<AuthorizeOutcome, { kind: 'issue' }>,
  interaction: LoadedInteraction,
): Promise<FastifyReply> {
  const authz = next.request;
  if (next.kind === 'login') return renderLogin(ctx, request, reply, authz, interaction);
  const decision = next;
  const [user, chrome, client, api] = await Promise.all([
    ctx.store.users.findBySub(decision.auth.sub),
    pageChrome(ctx, request, { uiLocales: authz.uiLocales }),
    consentClient(ctx, authz.client),
    consentApi(ctx, authz.client, authz.resource),
  ]);
  const body = consentPage({
    action: `/interaction/${interaction.id}/consent`,
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(authz),
    userEmail: user?.email ?? '',
    scopes: authz.scopes,
    client,
    ...(api ? { api } : {}),
    ...chrome,
  });
  return sendPage(reply, body, { formTargets: [authz.redirectUri] });
}
