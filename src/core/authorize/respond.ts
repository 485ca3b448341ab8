import type { OAuthError } from '../errors.js';
import type { RedirectTarget } from './request.js';
import { type AuthorizationResponse, buildAuthorizationResponse } from './response.js';

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
  );
}
