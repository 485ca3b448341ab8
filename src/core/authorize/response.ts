import type { ResponseMode } from './response-types.js';

export type AuthorizationResponse =
  | { kind: 'redirect'; location: string }
  | { kind: 'form_post'; action: string; fields: Record<string, string> };

/**
 * Delivers authorization response parameters to the redirect URI in the requested response mode
 * (RFC 6749 §4.1.2 query, OAuth 2.0 Multiple Response Types §2.1 fragment, OAuth 2.0 Form Post Response Mode).
 * RFC 9207 §2: every response, success or error, carries `iss`.
 */
export function buildAuthorizationResponse(
  redirectUri: string,
  mode: ResponseMode,
  params: Record<string, string | undefined>,
  issuer: string,
): AuthorizationResponse {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) if (value !== undefined) fields[name] = value;
  fields.iss = issuer;
  if (mode === 'form_post') return { kind: 'form_post', action: redirectUri, fields };
  const url = new URL(redirectUri);
  if (mode === 'query') {
    for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
    return { kind: 'redirect', location: url.href };
  }
  url.hash = new URLSearchParams(fields).toString();
  return { kind: 'redirect', location: url.href };
}
