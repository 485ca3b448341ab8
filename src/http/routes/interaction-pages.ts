import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizeDecision } from '../../core/authorize/decide.js';
import type { AuthorizationRequest } from '../../core/authorize/request.js';
import { consentPage, loginPage } from '../../interaction/index.js';
import { csrfToken, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import { sendPage } from '../responses.js';
import type { LoadedInteraction } from './authorize.js';

export function clientName(authz: AuthorizationRequest): string {
  return authz.client.metadata.client_name || authz.client.clientId;
}

export function renderLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  interaction: LoadedInteraction,
  options: { email?: string; error?: string; status?: number } = {},
): FastifyReply {
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const email = options.email ?? authz.loginHint;
  const body = loginPage({
    action: `/interaction/${interaction.id}/login`,
    csrf,
    clientName: clientName(authz),
    ...(email !== undefined ? { email } : {}),
    ...(options.error !== undefined ? { error: options.error } : {}),
  });
  return sendPage(reply, body, { status: options.status ?? 200, formTargets: [authz.redirectUri] });
}

/** Shows the login or the consent page that `decision` asks for. */
export async function renderInteraction(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  decision: Exclude<AuthorizeDecision, { kind: 'issue' }>,
  interaction: LoadedInteraction,
): Promise<FastifyReply> {
  if (decision.kind === 'login') return renderLogin(ctx, request, reply, authz, interaction);
  const user = await ctx.store.users.findBySub(decision.auth.sub);
  const body = consentPage({
    action: `/interaction/${interaction.id}/consent`,
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(authz),
    userEmail: user?.email ?? '',
    scopes: authz.scopes,
  });
  return sendPage(reply, body, { formTargets: [authz.redirectUri] });
}
