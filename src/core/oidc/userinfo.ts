import type { Store, TokenRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { spaceList } from '../params.js';
import { findUsableToken } from '../tokens/opaque.js';
import { claimsForScopes } from './claims.js';

const bearerError = (code: 'invalid_token' | 'insufficient_scope' | 'invalid_request', description: string, status: number) =>
  new OAuthError(code, description, {
    status,
    // RFC 6750 §3: the WWW-Authenticate challenge carries the error.
    headers: { 'WWW-Authenticate': `Bearer realm="latch", error="${code}", error_description="${description}"` },
  });

/** Where a request carried an access token: the Authorization header, a form body field, the query string. */
export interface PresentedBearer {
  authorization: string | undefined;
  body: string | undefined;
  query: string | undefined;
}

/**
 * RFC 6750 §2.1 / §2.2: the access token from the Authorization header or a form body. The query string (§2.3)
 * is not accepted, but a token there still counts as a method, so it cannot ride along with another one.
 */
export function extractBearerToken({ authorization, body, query }: PresentedBearer): string {
  // RFC 9449 §7.1: a DPoP-bound token comes with the DPoP scheme (its proof is checked by the caller).
  const fromHeader = authorization && /^(bearer|dpop) /i.test(authorization) ? authorization.slice(authorization.indexOf(' ') + 1).trim() : undefined;
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request."
  const methods = [fromHeader, body, query].filter((value) => value !== undefined).length;
  if (methods > 1) throw bearerError('invalid_request', 'the access token must be sent by one method only', 400);
  if (query !== undefined) {
    throw bearerError('invalid_request', 'send the access token in the Authorization header, not in the query string', 400);
  }
  const token = fromHeader ?? body;
  if (!token) {
    // RFC 6750 §3.1: a request without any authentication gets a challenge without an error code.
    throw new OAuthError('invalid_token', 'an access token is required', {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="latch"' },
    });
  }
  return token;
}

/** OIDC Core §5.3: the claims about the person, for the scopes of the access token. */
export async function userinfo(
  token: string,
  store: Pick<Store, 'tokens' | 'users'>,
  now: number,
  checkBinding?: (record: TokenRecord) => void,
): Promise<Record<string, unknown>> {
  const record = await findUsableToken(token, store.tokens, now);
  if (!record || record.kind !== 'access_token') {
    throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
  }
  // RFC 9449 §7: a DPoP-bound token only with a proof of its key, an unbound one only as a bearer token.
  checkBinding?.(record);
  const scopes = spaceList(record.scope);
  if (!record.sub || !scopes.includes('openid')) {
    throw bearerError('insufficient_scope', 'the access token was not issued for the openid scope', 403);
  }
  const user = await store.users.findBySub(record.sub);
  if (!user) throw bearerError('invalid_token', 'the user of this access token no longer exists', 401);
  return { sub: user.sub, ...claimsForScopes(user, scopes) };
}
