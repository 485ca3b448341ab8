import type { Authentication } from '../authorize/decide.js';
import type { AuthorizationResponse } from '../authorize/response.js';
import type { OAuthError } from '../errors.js';
import type { AcrValue } from '../accounts/acr.js';

/**
 * What comes next in a sign-in journey. The routes only translate each member into HTTP (a redirect, a page); a new
 * step of the journey (a second factor, an upstream provider) is one more member here and one more case in the
 * routes' switch, not one more copy of the flow.
 */
export type Next = Issue | Login | SecondFactor | Consent | ErrorStep;

/** Deliver the authorization response: the person is authenticated and has consented. */
export interface Issue {
  kind: 'issue';
  response: AuthorizationResponse;
}

/** Show the login page. `disabled`: the account signed in was disabled (the page says so, with 403). */
export interface Login {
  kind: 'login';
  disabled?: boolean;
}

/**
 * After the first factor, the level the request needs (`required`, core/accounts/mfa-policy.ts) is not reached by how
 * the person signed in (`auth.amr`): ask for a second factor, or have them enrol one first (issue 13).
 */
export interface SecondFactor {
  kind: 'second_factor';
  auth: Authentication;
  required: AcrValue;
}

/** Ask the person (`auth`, whose email the page shows) to consent to `scopes`: their share of what was requested. */
export interface Consent {
  kind: 'consent';
  auth: Authentication;
  email: string;
  scopes: string[];
}

/**
 * The journey ends in an error: back to the client's redirect URI when `response` is set (RFC 6749 §4.1.2.1),
 * else on an error page (the client or redirect URI cannot be trusted, or the error is not redirectable).
 */
export interface ErrorStep {
  kind: 'error';
  error: OAuthError;
  response?: AuthorizationResponse;
}

/** An OAuthError as the last step, with the response that takes it back to the client when it may go there. */
export function errorStep(error: OAuthError, response: AuthorizationResponse | undefined): ErrorStep {
  return response ? { kind: 'error', error, response } : { kind: 'error', error };
}

