import type { ApiRecord, ClientRecord, UserRecord } from '../../storage/types.js';
import { scopesForPerson } from '../accounts/person-scopes.js';
import type { GrantDeps, TokenResponse } from '../grants/types.js';
import { issueAccessToken } from './access-token.js';
import { authenticationData } from './authentication-data.js';
import { issueIdToken } from './id-token.js';
import { issueOpaqueToken, opaqueTokenRecord } from './opaque.js';
import { claimsData, type ClaimsRequest } from '../oidc/claims-request.js';

export interface TokenSetInput {
  client: ClientRecord;
  grantId: string;
  user: UserRecord;
  /** Scopes of this request (the ID token's claims); also the access token's unless `accessScopes` is given. */
  scopes: readonly string[];
  /** The API the access token is for (RFC 8707), from `resolveResource`. */
  api?: ApiRecord | undefined;
  /** Scopes of the access token when it is for an API: the API's share of `scopes`. */
  accessScopes?: readonly string[];
  /** The resource the refresh token stays bound to (null: none); defaults to the access token's API. */
  refreshResource?: string | null;
  /** Scopes the refresh token keeps (the whole grant), when one is issued. */
  refreshScopes?: readonly string[];
  authTime: number;
  /** How the person signed in (RFC 8176), kept with the tokens and stated in the ID token. */
  amr: readonly string[];
  sid: string | null;
  nonce: string | null;
  withRefreshToken: boolean;
  /**
   * The refresh token to issue instead of a new random one: a rotation's successor (`refresh-successor.ts`). It is
   * written only if absent, since a replay inside the reuse interval may have written the same one first.
   */
  refreshSuccessor?: string;
  withIdToken: boolean;
  /** OIDC Core §5.5: the claims parameter of the authorization request; every token of the grant keeps it. */
  claims?: ClaimsRequest | undefined;
  now: number;
  /** RFC 9449 §6: the DPoP key thumbprint the access token is bound to (the request's proof). */
  jkt?: string | undefined;
  /** RFC 9449 §5: the DPoP key thumbprint the refresh token is bound to (public clients only, `refreshTokenJkt`). */
  refreshJkt?: string | undefined;
}

/** Access token, optional refresh token and optional ID token for one user grant. */
export async function issueTokenSet(input: TokenSetInput, deps: GrantDeps): Promise<TokenResponse> {
  const { client, grantId, user, now } = input;
  const { policy, store } = deps;
  const data = { ...authenticationData(input.authTime, input.sid, input.amr), ...claimsData(input.claims) };
  // A role scope (admin:read, admin:write) only while the person holds the role, whatever the grant says.
  const scopes = scopesForPerson(user, input.scopes);
  const accessScopes = scopesForPerson(user, input.accessScopes ?? input.scopes);
  const access = await issueAccessToken(
    { client, grantId, sub: user.sub, scopes: accessScopes, api: input.api, authTime: input.authTime, amr: input.amr, data, now, jkt: input.jkt },
    deps,
  );
  // RFC 6749 §5.1: `scope` is the scope of the access token.
  const scope = accessScopes.join(' ');
  const response: TokenResponse = { access_token: access.value, token_type: access.tokenType, expires_in: access.expiresIn };
  if (scope !== '') response.scope = scope;
  if (input.withRefreshToken) {
    const refreshResource = input.refreshResource === undefined ? input.api?.identifier : input.refreshResource;
    const refreshInput = {
      kind: 'refresh_token' as const,
      grantId,
      clientId: client.clientId,
      sub: user.sub,
      scope: scopesForPerson(user, input.refreshScopes ?? input.scopes).join(' '),
      data: refreshResource ? { ...data, resource: refreshResource } : data,
      now,
      ttl: policy.refreshTokenTtl,
      jkt: input.refreshJkt,
    };
    let refresh: { value: string };
    if (input.refreshSuccessor === undefined) {
      refresh = await issueOpaqueToken(refreshInput, store.tokens);
    } else {
      refresh = { value: input.refreshSuccessor };
      await store.tokens.createIfAbsent(opaqueTokenRecord(refreshInput, input.refreshSuccessor));
    }
    response.refresh_token = refresh.value;
  }
  if (input.withIdToken) {
    response.id_token = await issueIdToken(
      {
        issuer: policy.issuer,
        client,
        user,
        scopes,
        authTime: input.authTime,
        amr: input.amr,
        sid: input.sid,
        nonce: input.nonce,
        accessToken: access.value,
        claims: input.claims,
        pairwiseSalt: policy.pairwiseSalt,
        now,
        ttl: policy.idTokenTtl,
      },
      deps.keys,
    );
  }
  return response;
}
