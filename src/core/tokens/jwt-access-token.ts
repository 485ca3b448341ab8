import type { KeyRing, SigningAlg } from '../../keys/types.js';
import { acrFor } from '../accounts/acr.js';
import type { ActClaim } from './act.js';

/** RFC 9068 §2.1: the media type of a JWT access token, in the `typ` header. */
export const JWT_ACCESS_TOKEN_TYPE = 'at+jwt';

export interface JwtAccessTokenInput {
  issuer: string;
  /** The person; for a token without one (client credentials), the client_id (RFC 9068 §2.2). */
  sub: string;
  clientId: string;
  /** The API (resource indicator). */
  audience: string;
  scopes: readonly string[];
  jti: string;
  now: number;
  ttl: number;
  authTime?: number | undefined;
  amr?: readonly string[] | undefined;
  alg: SigningAlg;
  /** RFC 8693 §4.1: the actor of a delegated token. */
  act?: ActClaim | undefined;
  /** RFC 9449 §6.1: the DPoP key thumbprint the token is bound to. */
  jkt?: string | undefined;
}

/** RFC 9068 §2: a JWT access token, signed with the active key for `alg`. */
export async function signJwtAccessToken(input: JwtAccessTokenInput, keys: Pick<KeyRing, 'sign'>): Promise<string> {
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED; scope when scopes were granted.
  const payload: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.sub,
    aud: input.audience,
    client_id: input.clientId,
    iat: input.now,
    exp: input.now + input.ttl,
    jti: input.jti,
  };
  if (input.scopes.length > 0) payload.scope = input.scopes.join(' ');
  // RFC 9068 §2.2.1: auth_time when the person authenticated.
  if (input.authTime !== undefined) payload.auth_time = input.authTime;
  // RFC 9068 §2.2.1: acr and amr, how the person authenticated.
  if (input.amr !== undefined) {
    payload.acr = acrFor(input.amr);
    payload.amr = [...input.amr];
  }
  // RFC 8693 §4.1: "The act (actor) claim provides a means within a JWT to express that delegation has occurred".
  if (input.act !== undefined) payload.act = input.act;
  // RFC 9449 §6.1: a DPoP-bound JWT access token carries the key's thumbprint as cnf.jkt (RFC 7800 §3.1).
  if (input.jkt !== undefined) payload.cnf = { jkt: input.jkt };
  // RFC 9068 §2.1: "Resource servers MUST verify that the 'typ' header value is 'at+jwt'".
  return keys.sign(payload, { alg: input.alg, typ: JWT_ACCESS_TOKEN_TYPE });
}
