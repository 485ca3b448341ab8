import type { KeyRing } from '../../keys/types.js';
import type { OAuthError } from '../errors.js';
import type { RedirectTarget } from './request.js';
import { type AuthorizationResponse, buildAuthorizationResponse, deliver, type DeliveredResponse } from './response.js';

/** JARM §4.1: the alg of response JWTs when the client registers none (Latch has no per-client choice yet). */
export const authorizationSigningAlg = 'RS256';
/** FAPI 2.0 §5.4.1 allows PS256, ES256 or EdDSA only: a client under the profile gets ES256 (always a key for it). */
export const fapi2AuthorizationSigningAlg = 'ES256';
/** JARM §2.1: exp "10 minutes is RECOMMENDED". */
const jarmLifetime = 600;

/**
 * Where an authorization error goes: back to the client's redirect URI when it is redirectable, else nowhere
 * (undefined: the person sees an error page).
 */
export function errorResponse(target: RedirectTarget, err: OAuthError, issuer: string): AuthorizationResponse | undefined {
  if (!err.redirectable) return undefined;
  // RFC 6749 §4.1.2.1: errors go back to the client's redirect URI with error, error_description and state.
  return buildAuthorizationResponse(
    target.redirectUri,
    target.responseMode,
    { error: err.code, error_description: err.description, state: target.state },
    issuer,
    target.client.clientId,
  );
}

/**
 * The last step: a JARM response is signed now, with the active key (JARM §2.1: iss, aud, exp and the response
 * parameters as claims), and delivered as the single `response` parameter (§2.3); any other goes as it is.
 */
export async function sealResponse(
  response: AuthorizationResponse,
  keys: Pick<KeyRing, 'sign'>,
  issuer: string,
  now: number,
  alg: typeof authorizationSigningAlg | typeof fapi2AuthorizationSigningAlg = authorizationSigningAlg,
): Promise<DeliveredResponse> {
  if (response.kind !== 'jwt') return response;
  const jwt = await keys.sign({ ...response.fields, iss: issuer, aud: response.clientId, exp: now + jarmLifetime }, { alg });
  return deliver(response.redirectUri, response.base, { response: jwt });
}
