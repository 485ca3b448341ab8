import type { KeyRing } from '../../keys/types.js';
import type { Store, UserRecord } from '../../storage/types.js';
import { isDisabled, scopesForPerson } from '../accounts/person-scopes.js';
import type { TokenPolicy } from '../grants/types.js';
import type { Consent, Issue, Login, SecondFactor } from '../interaction/next.js';
import { hasSecondFactor, type MfaSetting, secondFactorStep } from '../accounts/mfa-policy.js';
import { resolveResource } from '../tokens/resource.js';
import { type Authentication, decide } from './decide.js';
import { hintSubject } from './id-token-hint.js';
import { issueAuthorizationResponse } from './issue-response.js';
import type { AuthorizationRequest } from './request.js';
import type { RequestPolicy } from './validate.js';
import { buildAuthorizationResponse } from './response.js';
import { requestedSub } from '../oidc/claims-request.js';
import { consentScopes } from '../oidc/claims.js';
import { namesPerson } from '../oidc/pairwise.js';

export interface AuthorizeDeps {
  store: Pick<Store, 'grants' | 'codes' | 'tokens' | 'users' | 'apis' | 'consents' | 'totpSecrets' | 'passkeys'>;
  keys: KeyRing;
  policy: TokenPolicy & { codeTtl: number; /** LATCH_MFA (core/accounts/mfa-policy.ts). */ mfa?: MfaSetting } & RequestPolicy;
}

/**
 * What comes after a valid authorization request: the response to deliver, or the page the person must see first.
 * Errors are thrown as OAuthError (core/interaction turns them into its Error step).
 */
export type AuthorizeOutcome = Issue | Login | SecondFactor | Consent;

/** The request as it applies to the signed-in person: their share of the scopes; nobody for a disabled account. */
export async function forPerson(
  users: Pick<Store['users'], 'findBySub'>,
  authz: AuthorizationRequest,
  auth: Authentication | undefined,
): Promise<{ auth: Authentication | undefined; authz: AuthorizationRequest; user?: UserRecord }> {
  if (!auth) return { auth, authz };
  const user = await users.findBySub(auth.sub);
  if (!user || isDisabled(user)) return { auth: undefined, authz };
  const scopes = scopesForPerson(user, authz.scopes);
  return { auth, authz: scopes.length === authz.scopes.length ? authz : { ...authz, scopes }, user };
}

/**
 * Step 3 and 4 of the pipeline, decide and respond. Runs for a fresh /authorize request and again each time an
 * interaction is resumed (`consentedNow`: the scopes the person approved during it).
 */
export async function proceed(
  deps: AuthorizeDeps,
  requested: AuthorizationRequest,
  signedIn: Authentication | undefined,
  consentedNow: readonly string[] | undefined,
  now: number,
): Promise<AuthorizeOutcome> {
  const { store, policy } = deps;
  // RFC 8707: an unknown API or a scope it does not define is refused before the person is asked anything.
  await resolveResource(
    { client: requested.client, resource: requested.resource, scopes: requested.scopes, mode: 'reject', redirectable: true },
    store.apis,
  );
  // The person is asked for, and granted, only their share of the scopes (no admin scopes without the admin role);
  // a disabled account (whose sessions ended with it) counts as nobody signed in.
  const { auth, authz, user } = await forPerson(store.users, requested, signedIn);
  // OIDC Core §3.1.2.1 id_token_hint and §5.5.1 `sub` requested with a value: the person they name must be the one
  // signed in. A pairwise client names them by its own sub (§8.1), which is mapped back to the local one here.
  const named = [await hintSubject(deps.keys, policy.issuer, authz.idTokenHint), requestedSub(authz.claims)].filter((s) => s !== undefined);
  const hintSub = named.find((s) => !auth || !namesPerson(s, auth.sub, authz.client, policy.pairwiseSalt)) ?? (named.length > 0 ? auth?.sub : undefined);
  const consent = auth ? await store.consents.find(auth.sub, authz.client.clientId) : undefined;
  const decision = decide({ request: authz, auth, consent, consentedNow, hintSub, now });
  if (decision.kind === 'login') return { kind: 'login' };
  // Issue 13: a second factor when the request needs more than the person's sign-in reached (before consent).
  const mfa = policy.mfa ?? 'off';
  const secondFactor = secondFactorStep(authz, decision.auth, mfa, mfa === 'enrolled' && (await hasSecondFactor(store, decision.auth)));
  if (secondFactor) return secondFactor;
  if (decision.kind === 'consent') return { kind: 'consent', auth: decision.auth, email: user?.email ?? '', scopes: consentScopes(authz) };
  const issued = await issueAuthorizationResponse(authz, decision.auth, deps, now);
  const response = buildAuthorizationResponse(authz.redirectUri, authz.responseMode, { ...issued, state: authz.state }, policy.issuer, authz.client.clientId);
  return { kind: 'issue', response };
}
