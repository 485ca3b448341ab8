import type { KeyRing } from '../../keys/types.js';
import type { Store } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import type { TokenPolicy } from '../grants/types.js';
import { issueIdToken } from '../tokens/id-token.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { authenticationData } from '../tokens/authentication-data.js';
import { claimsData } from '../oidc/claims-request.js';
import { resolveResource } from '../tokens/resource.js';
import type { Authentication } from './decide.js';
import { createAuthorizationGrant, issueCodeForGrant } from './issue-code.js';
import type { AuthorizationRequest } from './request.js';
import { responseTypes } from './response-types.js';

export interface IssueResponseDeps {
  store: Pick<Store, 'grants' | 'codes' | 'tokens' | 'users' | 'apis'>;
  keys: KeyRing;
  policy: TokenPolicy & { codeTtl: number };
}

/** The success parameters of an authorization response (state and iss are added by the caller). */
export interface AuthorizationResponseParams {
  code?: string;
  access_token?: string;
  token_type?: 'Bearer';
  expires_in?: string;
  scope?: string;
  id_token?: string;
}

/**
 * Issues what the response type asks for, once the person is authenticated and has consented:
 * a code (RFC 6749 §4.1.2), an access token (RFC 6749 §4.2.2) and/or an ID token (OIDC Core §3.2.2.5,
 * §3.3.2.5), all bound to one grant so that revoking it (or replaying the code) revokes them together.
 */
export async function issueAuthorizationResponse(
  request: AuthorizationRequest,
  auth: Authentication,
  deps: IssueResponseDeps,
  now: number,
): Promise<AuthorizationResponseParams> {
  const type = responseTypes.get(request.responseType);
  if (!type) throw new OAuthError('unsupported_response_type', `response_type ${request.responseType} is not supported`, { redirectable: true });
  const { store, policy } = deps;
  const user = type.returnsIdToken ? await store.users.findBySub(auth.sub) : undefined;
  if (type.returnsIdToken && !user) {
    throw new OAuthError('login_required', 'the signed-in account no longer exists; log in again', { redirectable: true });
  }

  const grantId = await createAuthorizationGrant(request, auth, store.grants, now);
  const params: AuthorizationResponseParams = {};
  if (type.issuesCode) {
    params.code = await issueCodeForGrant(grantId, request, auth, { codes: store.codes, codeTtl: policy.codeTtl }, now);
  }
  if (type.returnsAccessToken) {
    // OIDC Core §3.2.2.5 / RFC 6749 §4.2.2: access_token, token_type, expires_in; never a refresh token
    // ("The authorization server MUST NOT issue a refresh token" from the authorization endpoint).
    // RFC 8707: the access token is for the requested API (or the client's default one), with that API's scopes.
    const target = await resolveResource(
      { client: request.client, resource: request.resource, scopes: request.scopes, mode: 'reject', redirectable: true },
      store.apis,
    );
    const access = await issueAccessToken(
      {
        client: request.client,
        grantId,
        sub: auth.sub,
        scopes: target.scopes,
        api: target.api,
        authTime: auth.authTime,
        amr: auth.amr,
        data: { ...authenticationData(auth.authTime, auth.sid, auth.amr), ...claimsData(request.claims) },
        now,
      },
      deps,
    );
    params.access_token = access.value;
    params.token_type = 'Bearer';
    params.expires_in = String(access.expiresIn);
    // RFC 6749 §4.2.2: scope is the scope of the access token.
    if (target.scopes.length > 0) params.scope = target.scopes.join(' ');
  }
  if (type.returnsIdToken && user) {
    // OIDC Core §3.2.2.10 / §3.3.2.11: nonce as sent; at_hash with an access token, c_hash with a code.
    params.id_token = await issueIdToken(
      {
        issuer: policy.issuer,
        client: request.client,
        user,
        scopes: request.scopes,
        authTime: auth.authTime,
        amr: auth.amr,
        sid: auth.sid,
        nonce: request.nonce ?? null,
        ...(params.access_token !== undefined ? { accessToken: params.access_token } : {}),
        ...(params.code !== undefined ? { code: params.code } : {}),
        claims: request.claims,
        pairwiseSalt: policy.pairwiseSalt,
        now,
        ttl: policy.idTokenTtl,
      },
      deps.keys,
    );
  }
  return params;
}
