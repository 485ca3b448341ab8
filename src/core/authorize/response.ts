import { deliveryOf, type ResponseMode } from './response-types.js';

/** A response ready to go: a redirect, or the fields of an auto-submitting form. */
export type DeliveredResponse =
  | { kind: 'redirect'; location: string }
  | { kind: 'form_post'; action: string; fields: Record<string, string> };

/**
 * JARM §2.3: a response whose parameters travel as one signed JWT (`response`), in the plain mode `base`; signed at
 * the end (respond.ts `sealResponse`), by the active key.
 */
export interface JwtResponse {
  kind: 'jwt';
  base: 'query' | 'fragment' | 'form_post';
  redirectUri: string;
  /** The client (the JWT's aud). */
  clientId: string;
  fields: Record<string, string>;
}

export type AuthorizationResponse = DeliveredResponse | JwtResponse;

/** The parameters in the plain mode: query (RFC 6749 §4.1.2), fragment (Multiple Response Types §2.1) or form_post. */
export function deliver(redirectUri: string, base: JwtResponse['base'], fields: Record<string, string>): DeliveredResponse {
  if (base === 'form_post') return { kind: 'form_post', action: redirectUri, fields };
  const url = new URL(redirectUri);
  if (base === 'query') {
    for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
    return { kind: 'redirect', location: url.href };
  }
  url.hash = new URLSearchParams(fields).toString();
  return { kind: 'redirect', location: url.href };
}

/**
 * Delivers authorization response parameters to the redirect URI in the requested response mode
 * (RFC 6749 §4.1.2 query, OAuth 2.0 Multiple Response Types §2.1 fragment, OAuth 2.0 Form Post Response Mode,
 * JARM §2.3 for the .jwt modes). RFC 9207 §2: every response, success or error, carries `iss`.
 */
export function buildAuthorizationResponse(
  redirectUri: string,
  mode: ResponseMode,
  params: Record<string, string | undefined>,
  issuer: string,
  clientId = '',
): AuthorizationResponse {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) if (value !== undefined) fields[name] = value;
  fields.iss = issuer;
  const { base, jwt } = deliveryOf(mode);
  if (jwt) return { kind: 'jwt', base, redirectUri, clientId, fields };
  return deliver(redirectUri, base, fields);
}
