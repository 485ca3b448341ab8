/**
 * Which level of authentication a request needs (core/accounts/acr.ts): the highest of the operator's setting for
 * everyone (LATCH_MFA), the client's registered `default_acr_values` (OIDC Dynamic Client Registration §2) and the
 * request's `acr_values` (OIDC Core §3.1.2.1, step-up: only when the client asks). Values Latch does not know are
 * ignored (acr is a voluntary claim unless requested as essential).
 */
import type { Authentication } from '../authorize/decide.js';
import type { AuthorizationRequest } from '../authorize/request.js';
import type { Store } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import type { SecondFactor } from '../interaction/next.js';
import { spaceList } from '../params.js';
import { ACR_MFA, ACR_PWD, type AcrValue, acrFor, isAcrValue, satisfiesAcr } from './acr.js';
import { essentialAcrValues } from '../oidc/claims-request.js';

/** LATCH_MFA: nobody unless a client asks, everyone who set up a second factor, or everyone. */
export type MfaSetting = 'off' | 'enrolled' | 'required';

/**
 * OIDC Core §3.1.2.1: acr_values are "in order of preference": any one of them satisfies the client, so the least
 * demanding one Latch supports is what it must reach.
 */
function leastOf(values: readonly string[] | undefined): AcrValue | undefined {
  let least: AcrValue | undefined;
  for (const value of values ?? []) {
    if (isAcrValue(value) && (least === undefined || satisfiesAcr(least, value))) least = value;
  }
  return least;
}

export function requiredAcr(input: {
  global: MfaSetting;
  defaultAcrValues?: readonly string[] | undefined;
  acrValues?: string | undefined;
  /** OIDC Core §5.5.1.1: acr requested as essential with values in the claims parameter, honoured like acr_values. */
  essentialAcrValues?: readonly string[] | undefined;
}): AcrValue {
  const global: AcrValue = input.global === 'required' ? (ACR_MFA as AcrValue) : (ACR_PWD as AcrValue);
  let most = global;
  for (const value of [leastOf(input.defaultAcrValues), leastOf(spaceList(input.acrValues)), leastOf(input.essentialAcrValues)]) {
    if (value !== undefined && !satisfiesAcr(most, value)) most = value;
  }
  return most;
}

/** The level a client asks of every sign-in without a request saying so (the password grant has no acr_values). */
export function clientRequiredAcr(global: MfaSetting, defaultAcrValues: readonly string[] | undefined): AcrValue {
  return requiredAcr({ global, defaultAcrValues });
}

/**
 * After the first factor: the second-factor step when the person's methods do not reach the level the request needs,
 * else nothing. With prompt=none no page may be shown (OIDC Core §3.1.2.6): interaction_required.
 */
export function secondFactorStep(authz: AuthorizationRequest, auth: Authentication, global: MfaSetting, hasSecondFactor: boolean): SecondFactor | undefined {
  let required = requiredAcr({
    global,
    defaultAcrValues: authz.client.metadata.default_acr_values,
    acrValues: authz.params.acr_values,
    essentialAcrValues: essentialAcrValues(authz.claims),
  });
  // LATCH_MFA=enrolled: a person who set up a second factor is asked for it at every sign-in, whatever the client
  // asks (the factor guards their account, not one application).
  if (global === 'enrolled' && hasSecondFactor && !satisfiesAcr(required, ACR_MFA)) required = ACR_MFA as AcrValue;
  if (satisfiesAcr(acrFor(auth.amr), required)) return undefined;
  if (authz.prompt.has('none')) {
    throw new OAuthError('interaction_required', 'the person must confirm a second factor, but prompt=none was requested', { redirectable: true });
  }
  return { kind: 'second_factor', auth, required };
}

/**
 * Whether the person has a second factor of their own (a confirmed authenticator app or a passkey). A sign-in that
 * reached two factors has one, and costs no query.
 */
export async function hasSecondFactor(store: Pick<Store, 'totpSecrets' | 'passkeys'>, auth: Pick<Authentication, 'sub' | 'amr'>): Promise<boolean> {
  if (satisfiesAcr(acrFor(auth.amr), ACR_MFA)) return true;
  const [totp, passkeys] = await Promise.all([store.totpSecrets.find(auth.sub), store.passkeys.listBySub(auth.sub)]);
  return totp?.confirmedAt != null || passkeys.length > 0;
}
