/** RFC 9126 pushed authorization requests: the request_uri Latch hands out, and when a client must use one. */
import type { ClientRecord } from '../../storage/types.js';
import { digest, randomToken } from '../tokens/hash.js';

/** RFC 9126 §2.2: "urn:ietf:params:oauth:request_uri:" followed by a value only this server can make. */
export const requestUriPrefix = 'urn:ietf:params:oauth:request_uri:';

export interface ParSettings {
  /** LATCH_REQUIRE_PAR: every client must push its authorization requests. */
  requirePar?: boolean;
}

/**
 * RFC 9126 §5 and §6: whether an authorization request of `client` must come through /par, server-wide or per client.
 * The one place that says so (profiles that imply it, FAPI 2.0, add their rule here).
 */
export function parRequired(client: ClientRecord, settings: ParSettings): boolean {
  return settings.requirePar === true || client.metadata.require_pushed_authorization_requests === true;
}

/** A new request_uri and the digest it is stored under (the random part is a bearer value: never stored). */
export function newRequestUri(): { requestUri: string; digest: string } {
  const secret = randomToken();
  return { requestUri: requestUriPrefix + secret, digest: digest(secret) };
}

/** The digest a request_uri of this server is stored under, or undefined when it is not one of ours. */
export function requestUriDigest(requestUri: string): string | undefined {
  if (!requestUri.startsWith(requestUriPrefix)) return undefined;
  const secret = requestUri.slice(requestUriPrefix.length);
  return secret === '' ? undefined : digest(secret);
}
