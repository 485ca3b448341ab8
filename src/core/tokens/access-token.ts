import type { KeyRing, SigningAlg } from '../../keys/types.js';
import type { AccessTokenFormat, ApiRecord, ClientRecord, TokenRecord, TokensRepository } from '../../storage/types.js';
import type { ActClaim } from './act.js';
import { signJwtAccessToken } from './jwt-access-token.js';
import { issueOpaqueToken } from './opaque.js';
import { newSortableId, tokenKey } from './token-key.js';
import { subjectFor } from '../oidc/pairwise.js';

export interface AccessTokenInput {
  client: ClientRecord;
  grantId: string | null;
  /** The person, or null for a token of the client itself (client credentials). */
  sub: string | null;
  scopes: readonly string[];
  /** The API the token is for (its audience), from `resolveResource`. */
  api: ApiRecord | undefined;
  authTime?: number | undefined;
  /** How the person signed in (RFC 8176), for the JWT's amr and acr (RFC 9068 §2.2.1). */
  amr?: readonly string[] | undefined;
  /** Extra data kept with the token (auth_time, sid, ...). */
  data?: Record<string, unknown>;
  /** RFC 8693 §4.1: the actor of a delegated token (token exchange), in the JWT and kept for introspection. */
  act?: ActClaim | undefined;
  /** The latest expiry allowed (token exchange: never beyond the subject token's). */
  notAfter?: number | undefined;
  now: number;
  /** RFC 9449 §6: the DPoP key thumbprint to bind the token to; undefined: a bearer token. */
  jkt?: string | undefined;
}

export interface AccessTokenDeps {
  store: { tokens: Pick<TokensRepository, 'create'> };
  keys: Pick<KeyRing, 'sign'>;
  policy: { issuer: string; accessTokenTtl: number; /** OIDC Core §8.1: pairwise subjects' salt. */ pairwiseSalt?: Buffer };
}

export interface IssuedAccessToken {
  value: string;
  format: AccessTokenFormat;
  expiresIn: number;
  record: TokenRecord;
  /** RFC 9449 §5: the token_type of the response. */
  tokenType: 'Bearer' | 'DPoP';
}

/**
 * The access token generator chain: the token's API decides its format and lifetime, not the grant.
 * An API that prefers JWTs gets an RFC 9068 JWT; anything else gets an opaque token. Both are recorded by
 * digest, so that introspection, revocation and "revoke the whole grant" work the same for either format.
 */
export async function issueAccessToken(input: AccessTokenInput, deps: AccessTokenDeps): Promise<IssuedAccessToken> {
  const { api, client, now } = input;
  const fullTtl = api?.accessTokenTtl ?? deps.policy.accessTokenTtl;
  const ttl = input.notAfter === undefined ? fullTtl : Math.max(0, Math.min(fullTtl, input.notAfter - now));
  const data = input.act === undefined ? (input.data ?? {}) : { ...input.data, act: input.act };
  const scope = input.scopes.join(' ');
  const audience = api?.identifier ?? null;
  const tokenType = input.jkt === undefined ? 'Bearer' : 'DPoP';
  if (api?.tokenFormat !== 'jwt') {
    const { value, record } = await issueOpaqueToken(
      { kind: 'access_token', grantId: input.grantId, clientId: client.clientId, sub: input.sub, scope, audience, data, now, ttl, jkt: input.jkt },
      deps.store.tokens,
    );
    return { value, format: 'opaque', expiresIn: ttl, record, tokenType };
  }
  const jti = newSortableId();
  const value = await signJwtAccessToken(
    {
      issuer: deps.policy.issuer,
      // RFC 9068 §2.2: without a resource owner, sub is the client_id. OIDC Core §8: a pairwise client's sub for the
      // person (as node-oidc-provider does), so that the API and the client know them by the same identifier.
      sub: input.sub === null ? client.clientId : subjectFor(client, input.sub, deps.policy.pairwiseSalt),
      clientId: client.clientId,
      audience: api.identifier,
      scopes: input.scopes,
      jti,
      now,
      ttl,
      authTime: input.authTime,
      amr: input.amr,
      alg: api.signingAlg as SigningAlg,
      act: input.act,
      jkt: input.jkt,
    },
    deps.keys,
  );
  const record: TokenRecord = {
    digest: tokenKey(value, jti),
    kind: 'access_token',
    grantId: input.grantId,
    clientId: client.clientId,
    sub: input.sub,
    scope,
    audience,
    data: { ...data, jti },
    createdAt: now,
    expiresAt: now + ttl,
    consumedAt: null,
    revokedAt: null,
    ...(input.jkt !== undefined && { jkt: input.jkt }),
  };
  await deps.store.tokens.create(record);
  return { value, format: 'jwt', expiresIn: ttl, record, tokenType };
}
