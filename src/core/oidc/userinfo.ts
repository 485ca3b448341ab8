import type { KeyRing, SigningAlg } from '../../keys/types.js';
import type { ClientRecord, Store, TokenRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { spaceList } from '../params.js';
import { findUsableToken } from '../tokens/opaque.js';
import { releasedClaims } from './claims.js';
import { claimsRequestOf } from './claims-request.js';
import { subjectFor } from './pairwise.js';

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

export interface UserinfoDeps {
  store: Pick<Store, 'tokens' | 'users' | 'clients'>;
  /** OIDC Core §8.1: the salt of pairwise subjects. */
  pairwiseSalt: Buffer;
}

/** The UserInfo answer: the claims, and the client they are for (whose metadata may ask for a signed response). */
export interface UserinfoResult {
  claims: Record<string, unknown>;
  client: ClientRecord;
}

/**
 * OIDC Core §5.3: the claims about the person, for the scopes of the access token and the `userinfo` member of the
 * claims parameter (§5.5) that the token kept; `sub` as the client knows the person (pairwise, §8).
 */
export async function userinfo(
  token: string,
  deps: UserinfoDeps,
  now: number,
  checkBinding?: (record: TokenRecord) => void,
): Promise<UserinfoResult> {
  const { store } = deps;
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
  const [user, client] = await Promise.all([store.users.findBySub(record.sub), store.clients.find(record.clientId)]);
  if (!user) throw bearerError('invalid_token', 'the user of this access token no longer exists', 401);
  if (!client) throw bearerError('invalid_token', 'the client of this access token no longer exists', 401);
  const requested = claimsRequestOf(record.data)?.userinfo;
  const claims = { sub: subjectFor(client, user.sub, deps.pairwiseSalt), ...releasedClaims(user, scopes, requested, spaceList(client.metadata.scope)) };
  return { claims, client };
}

/**
 * OIDC Core §5.3.2: with `userinfo_signed_response_alg` registered, the claims as a JWT signed like ID tokens
 * (the active key of that alg), with iss and aud ("SHOULD contain the Claims iss (issuer) and aud (audience)");
 * undefined for a client that wants plain JSON.
 */
export async function signedUserinfo(result: UserinfoResult, keys: Pick<KeyRing, 'sign' | 'algorithms'>, issuer: string, now: number): Promise<string | undefined> {
  const alg = result.client.metadata.userinfo_signed_response_alg;
  if (!alg) return undefined;
  // OIDC Registration §2: the alg must be one the provider supports (userinfo_signing_alg_values_supported).
  if (!(keys.algorithms as readonly string[]).includes(alg)) {
    throw new OAuthError('invalid_client', `userinfo_signed_response_alg ${alg} of this client is not supported by this server`, { status: 400 });
  }
  const payload = { ...result.claims, iss: issuer, aud: result.client.clientId, iat: now };
  return keys.sign(payload, { alg: alg as SigningAlg, typ: 'JWT' });
}
