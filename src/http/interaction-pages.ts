import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationRequest } from '../core/authorize/request.js';
import type { Consent } from '../core/interaction/next.js';
import { clientName, isBoundTo } from '../core/interaction/record.js';
import { digest } from '../core/tokens/hash.js';
import { consentPage, loginPage, type PageMessage } from '../pages/index.js';
import type { ClientRecord, InteractionRecord } from '../storage/types.js';
import { browserId, csrfToken, ensureBrowserId } from './cookies.js';
import type { AppContext } from './context.js';
import { consentApi, consentClient, pageChrome } from './page-chrome.js';
import { sendPage } from './responses.js';
import type { UpstreamChoice } from '../pages/pages/federation.js';
import { upstreamChoices } from './routes/federation-choices.js';
import { passkeyScripts } from './routes/second-factor-page.js';
import type { PasskeyCeremony } from '../pages/index.js';

/** An interaction as the routes hold it: the id from its URL (never stored) and its record. */
export interface LoadedInteraction {
  id: string;
  record: InteractionRecord;
}

/** The interaction named in the URL (`:id`), unless it has expired or belongs to another browser. */
export async function loadInteraction(ctx: AppContext, request: FastifyRequest): Promise<LoadedInteraction | undefined> {
  const { id } = request.params as { id: string };
  const record = await ctx.store.interactions.find(digest(id), ctx.now());
  const browser = browserId(request);
  if (!record || !isBoundTo(record, browser === undefined ? undefined : digest(browser))) return undefined;
  return { id, record };
}

/** What a login page shows again when the login did not succeed. */
export interface LoginPageOptions {
  email?: string | undefined;
  error?: PageMessage;
  status?: number;
  /** The account signed in must verify its address first: the page offers to send the link again. */
  unverified?: boolean | undefined;
  /** Federation: "Continue with <name>" buttons. */
  upstreams?: UpstreamChoice[];
}

/** The sign-in page's links of the accounts that look after themselves: sign-up (when open), "Forgot password?". */
export function loginAccountLinks(ctx: AppContext, action: string, options: Pick<LoginPageOptions, 'unverified'>) {
  const interactionId = /^\/interaction\/([A-Za-z0-9_-]+)\/login$/.exec(action)?.[1];
  return {
    signupHref: ctx.config.signup === 'open' ? (interactionId ? `/signup?interaction=${interactionId}` : '/signup') : undefined,
    forgotHref: '/password/forgot',
    resendAction: options.unverified ? '/verify-email/resend' : undefined,
  };
}

/** The login page of one interaction, authorize or device: the same page, posted to its own action. */
export async function renderLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { action: string; client: ClientRecord; uiLocales?: string | undefined; formTargets?: string[]; passkey?: PasskeyCeremony },
  options: LoginPageOptions = {},
): Promise<FastifyReply> {
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const { email, error } = options;
  const body = loginPage({
    action: page.action,
    csrf,
    clientName: clientName(page.client),
    ...(email !== undefined ? { email } : {}),
    ...(error !== undefined ? { error } : {}),
    accountLinks: loginAccountLinks(ctx, page.action, options),
    ...(options.upstreams?.length ? { upstreams: options.upstreams } : {}),
    ...(page.passkey ? { passkey: page.passkey } : {}),
    // OIDC Core §3.1.2.1: ui_locales is part of the stored request, so every page of the journey keeps it.
    ...(await pageChrome(ctx, request, { uiLocales: page.uiLocales })),
  });
  // Issue 13: the passkey script (and its JSON calls) on pages that offer passkeys.
  const passkeys = page.passkey ? { scripts: passkeyScripts(ctx), connect: true } : {};
  return sendPage(reply, body, { status: options.status ?? 200, formTargets: page.formTargets ?? [], ...passkeys });
}

/** The login page of an authorization request (prefilled from login_hint). */
export async function renderAuthorizeLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  interaction: LoadedInteraction,
  options: LoginPageOptions = {},
): Promise<FastifyReply> {
  const base = `/interaction/${interaction.id}`;
  const passkey: PasskeyCeremony = { options: `${base}/passkey/authenticate-options`, verify: `${base}/passkey/authenticate`, mode: 'login' };
  const upstreams = await upstreamChoices(ctx, interaction.id);
  const formTargets = [authz.redirectUri, ...upstreams.formTargets];
  const page = { action: `${base}/login`, client: authz.client, uiLocales: authz.uiLocales, formTargets, passkey };
  return renderLogin(ctx, request, reply, page, { ...options, email: options.email ?? authz.loginHint, upstreams: upstreams.choices });
}

/** The consent page of an authorization request: the person's share of its scopes. */
export async function renderConsent(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  consent: Consent,
  interaction: LoadedInteraction,
): Promise<FastifyReply> {
  const [chrome, client, api] = await Promise.all([
    pageChrome(ctx, request, { uiLocales: authz.uiLocales }),
    consentClient(ctx, authz.client),
    consentApi(ctx, authz.client, authz.resource),
  ]);
  const body = consentPage({
    action: `/interaction/${interaction.id}/consent`,
    csrf: csrfToken(ctx, ensureBrowserId(ctx, request, reply)),
    clientName: clientName(authz.client),
    userEmail: consent.email,
    scopes: consent.scopes,
    client,
    ...(api ? { api } : {}),
    ...chrome,
  });
  return sendPage(reply, body, { formTargets: [authz.redirectUri] });
}
