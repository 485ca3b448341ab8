import type { InteractionRecord, Store } from '../../storage/types.js';
import type { Authentication } from '../authorize/decide.js';
import { type AuthorizeDeps, proceed } from '../authorize/proceed.js';
import { type AuthorizationRequest, type RedirectTarget, resolveRedirectTarget, storedParams } from '../authorize/request.js';
import { errorResponse } from '../authorize/respond.js';
import { validateAuthorizationRequest } from '../authorize/validate.js';
import { isOAuthError, OAuthError } from '../errors.js';
import { type ErrorStep, errorStep, type Next } from './next.js';

export interface AuthorizeJourneyDeps extends AuthorizeDeps {
  store: AuthorizeDeps['store'] & Pick<Store, 'clients' | 'interactions' | 'consents'>;
  /** How a request finds its client: the store's clients with their effective metadata (core/fapi/profile.ts). */
  clients?: Pick<Store['clients'], 'find'>;
}

/** An authorization request resumed from its interaction: trusted target, re-validated request. */
export interface ResumedAuthorize {
  kind: 'resumed';
  target: RedirectTarget;
  request: AuthorizationRequest;
}

function asErrorStep(err: unknown, target: RedirectTarget | undefined, issuer: string): ErrorStep {
  if (!isOAuthError(err)) throw err;
  return errorStep(err, target && errorResponse(target, err, issuer));
}

/**
 * Reads the stored request of an authorize interaction again and re-validates it (the client may have changed
 * meanwhile). A request no longer valid ends the interaction; an untrusted client or redirect URI shows an error page.
 */
export async function resumeAuthorize(
  deps: AuthorizeJourneyDeps,
  record: InteractionRecord,
  request: Readonly<Record<string, string>>,
): Promise<ResumedAuthorize | ErrorStep> {
  const parsed = storedParams(request);
  let target: RedirectTarget;
  try {
    target = await resolveRedirectTarget(parsed, deps.clients ?? deps.store.clients);
  } catch (err) {
    return asErrorStep(err, undefined, deps.policy.issuer);
  }
  try {
    return { kind: 'resumed', target, request: validateAuthorizationRequest(parsed, target, deps.policy) };
  } catch (err) {
    await deps.store.interactions.delete(record.idDigest);
    return asErrorStep(err, target, deps.policy.issuer);
  }
}

/**
 * What comes next for a valid authorization request: issue now, or log in, or consent. `interaction` is the one being
 * resumed (none for a fresh /authorize request); it ends when the response is issued.
 */
export async function nextAuthorize(
  deps: AuthorizeJourneyDeps,
  target: RedirectTarget,
  requested: AuthorizationRequest,
  auth: Authentication | undefined,
  interaction: InteractionRecord | undefined,
  now: number,
): Promise<Next> {
  try {
    const next = await proceed(deps, requested, auth, interaction?.result.consented, now);
    if (next.kind === 'issue' && interaction) await deps.store.interactions.delete(interaction.idDigest);
    return next;
  } catch (err) {
    return asErrorStep(err, target, deps.policy.issuer);
  }
}

/**
 * The person answered the consent page. Denied: the interaction ends with access_denied. Allowed: the scopes join
 * what they consented to before (remembered for next time), and the interaction records them as consented now.
 */
export async function answerConsent(
  deps: AuthorizeJourneyDeps,
  resumed: ResumedAuthorize,
  interaction: InteractionRecord,
  auth: Authentication,
  scopes: readonly string[],
  allowed: boolean,
  now: number,
): Promise<ErrorStep | undefined> {
  const { store } = deps;
  if (!allowed) {
    await store.interactions.delete(interaction.idDigest);
    const denied = new OAuthError('access_denied', 'the person denied the request', { redirectable: true });
    return asErrorStep(denied, resumed.target, deps.policy.issuer);
  }
  const clientId = resumed.request.client.clientId;
  const existing = await store.consents.find(auth.sub, clientId);
  await store.consents.upsert({
    sub: auth.sub,
    clientId,
    scopes: [...new Set([...(existing?.scopes ?? []), ...scopes])].sort(),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  await store.interactions.updateResult(interaction.idDigest, { ...interaction.result, consented: [...scopes] });
  return undefined;
}
