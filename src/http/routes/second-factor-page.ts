/**
 * The second-factor step of a sign-in as pages: ask for one of the person's factors, or have them enrol one first
 * (and show the recovery codes made with a new authenticator app, once).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { enrolledFactors, planSecondFactor } from '../../core/accounts/second-factor.js';
import { newTotpSecret, openTotpSecret, sealTotpSecret, totpUri } from '../../core/accounts/totp.js';
import type { AuthorizationRequest } from '../../core/authorize/request.js';
import { OAuthError } from '../../core/errors.js';
import type { SecondFactor } from '../../core/interaction/next.js';
import { clientName } from '../../core/interaction/record.js';
import { enrolFactorPage, type PasskeyCeremony, secondFactorPage } from '../../pages/pages/second-factor.js';
import { passkeysScriptPath, webauthnBrowserPath } from '../../pages/assets-passkeys.js';
import type { PageMessage } from '../../pages/index.js';
import type { ClientRecord } from '../../storage/types.js';
import { csrfToken, ensureBrowserId } from '../cookies.js';
import type { AppContext } from '../context.js';
import type { LoadedInteraction } from '../interaction-pages.js';
import { pageChrome } from '../page-chrome.js';
import { scriptSource, sendPage } from '../responses.js';

/** The server secret that seals TOTP secrets (like signing keys). */
export function factorKey(ctx: AppContext): Uint8Array {
  if (!ctx.keySecret) throw new OAuthError('server_error', 'second factors need the server secret', { status: 500 });
  return ctx.keySecret;
}

/** CSP script sources of the passkey pages: the WebAuthn browser library and Latch's own small script. */
export function passkeyScripts(ctx: AppContext): string[] {
  return [scriptSource(ctx.config.issuer, webauthnBrowserPath), scriptSource(ctx.config.issuer, passkeysScriptPath)];
}

export interface FactorPageOptions {
  error?: PageMessage;
  status?: number;
}

/**
 * The TOTP secret being enrolled: the pending one while it is recent (so a mistyped code can be typed again without
 * scanning again), else a new one. Returns the base32 secret.
 */
export async function pendingTotpSecret(ctx: AppContext, sub: string): Promise<string | undefined> {
  const key = factorKey(ctx);
  const now = ctx.now();
  const existing = await ctx.store.totpSecrets.find(sub);
  if (existing && existing.confirmedAt === null && now - existing.createdAt < ctx.config.interactionTtl) return openTotpSecret(existing.secretSealed, key);
  const secret = newTotpSecret();
  const stored = await ctx.store.totpSecrets.putPending({ sub, secretSealed: await sealTotpSecret(secret, key), confirmedAt: null, lastStep: null, createdAt: now });
  return stored ? secret : undefined;
}

/** The otpauth:// URI as a QR code PNG in a data: URL (the pages' CSP allows img-src data:). */
export async function totpQr(ctx: AppContext, secret: string, label: string, productName: string): Promise<string> {
  return QRCode.toDataURL(totpUri(secret, productName, label), { margin: 1, width: 384, errorCorrectionLevel: 'M' });
}

/**
 * Where the second-factor page of one interaction posts and what it may show: the same page for an authorization
 * request and a device code (RFC 8628 §3.3), only the URLs and the client differ.
 */
export interface FactorTarget {
  client: ClientRecord;
  uiLocales: string | undefined;
  /** CSP form-action targets beyond the issuer (an authorization request's redirect URI). */
  formTargets: string[];
  /** The URL of `path` (`/factor/totp`, `/passkey/...`) of this interaction, with what its kind carries in the query. */
  url(path: string): string;
}

/** The second-factor URLs of an authorize interaction. */
export function authorizeFactorTarget(authz: AuthorizationRequest, interaction: LoadedInteraction): FactorTarget {
  return { client: authz.client, uiLocales: authz.uiLocales, formTargets: [authz.redirectUri], url: (path) => `/interaction/${interaction.id}${path}` };
}

/** The second-factor page of an authorization request (sendAuthorizeNext). */
export function renderSecondFactor(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  next: SecondFactor,
  interaction: LoadedInteraction,
  options: FactorPageOptions = {},
): Promise<FastifyReply> {
  return renderFactorStep(ctx, request, reply, authorizeFactorTarget(authz, interaction), next, options);
}

/** The second-factor page of any interaction: ask for one of the person's factors, or enrol one. */
export async function renderFactorStep(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: FactorTarget,
  next: SecondFactor,
  options: FactorPageOptions = {},
): Promise<FastifyReply> {
  const sub = next.auth.sub;
  const plan = planSecondFactor(await enrolledFactors(ctx.store, sub), next.required);
  const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
  const url = target.url;
  const chrome = await pageChrome(ctx, request, { uiLocales: target.uiLocales });
  const common = { clientName: clientName(target.client), csrf, ...(options.error ? { error: options.error } : {}), ...chrome };
  let body: string;
  if (plan.kind === 'ask') {
    const passkey: PasskeyCeremony = { options: url('/passkey/authenticate-options'), verify: url('/passkey/authenticate'), mode: 'factor' };
    body = secondFactorPage({
      ...common,
      ...(plan.methods.includes('totp') ? { totp: url('/factor/totp') } : {}),
      ...(plan.methods.includes('recovery') ? { recovery: url('/factor/recovery') } : {}),
      ...(plan.methods.includes('passkey') ? { passkey } : {}),
    });
  } else {
    const user = await ctx.store.users.findBySub(sub);
    const secret = plan.methods.includes('totp') && user ? await pendingTotpSecret(ctx, sub) : undefined;
    const passkey: PasskeyCeremony = { options: url('/passkey/register-options'), verify: url('/passkey/register'), mode: 'enrol' };
    body = enrolFactorPage({
      ...common,
      passkey,
      passkeyOnly: !plan.methods.includes('totp'),
      ...(secret && user
        ? { totp: { qr: await totpQr(ctx, secret, user.email, chrome.branding.productName ?? 'Latch'), secret, action: url('/factor/totp-enrol') } }
        : {}),
    });
  }
  return sendPage(reply, body, { status: options.status ?? 200, formTargets: target.formTargets, scripts: passkeyScripts(ctx), connect: true });
}
