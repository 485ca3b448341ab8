/** The URLs of client metadata that people's browsers open: https (http only on loopback), no credentials. */
import { AdminInputError } from './errors.js';

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * RFC 7591 §2: logo_uri, client_uri, policy_uri and tos_uri are URLs shown to (or fetched for) the person on the
 * consent page: https, or http on a loopback address for development; no credentials, no fragment tricks.
 */
export function checkClientInfoUri(field: string, value: string): string {
  const uri = value.trim();
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AdminInputError(field, `"${uri}" is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '') throw new AdminInputError(field, `"${uri}" must not contain credentials`);
  if (uri.length > 2048) throw new AdminInputError(field, 'is longer than 2048 characters');
  if (url.protocol === 'https:') return uri;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return uri;
  throw new AdminInputError(field, `"${uri}" must use https (http is only allowed for localhost, 127.0.0.1 and [::1])`);
}

/** A web origin as a browser sends it in the Origin header (RFC 6454 §6.1): scheme://host[:port], nothing else. */
export function checkWebOrigin(value: string): string {
  const origin = value.trim();
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new AdminInputError('allowed_cors_origins', `"${origin}" is not an origin such as https://app.example.com`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname.includes('*') || url.origin !== origin.replace(/\/$/, '').toLowerCase()) {
    throw new AdminInputError('allowed_cors_origins', `"${origin}" is not an origin (scheme://host[:port], no path, no wildcard), e.g. ${url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : 'https://app.example.com'}`);
  }
  return url.origin;
}

/**
 * A URL the person's browser opens in a frame (OIDC Front-Channel Logout §2: frontchannel_logout_uri): as the other
 * browser-facing URLs, and without a fragment, since Latch adds iss and sid to its query.
 */
export function checkBrowserUri(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new AdminInputError(field, 'must be a URL');
  if (value.includes('#')) throw new AdminInputError(field, `"${value}" must not contain a fragment (#)`);
  return checkClientInfoUri(field, value);
}
