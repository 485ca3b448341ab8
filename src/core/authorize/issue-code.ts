import type { AuthorizationCodesRepository, GrantsRepository } from '../../storage/types.js';
import { codeLifetime } from '../fapi/profile.js';
import { newSortableId, newTokenValue, tokenKey } from '../tokens/token-key.js';
import { claimsData } from '../oidc/claims-request.js';
import type { Authentication } from './decide.js';
import type { AuthorizationRequest } from './request.js';

export interface IssueCodeDeps {
  grants: Pick<GrantsRepository, 'create'>;
  codes: Pick<AuthorizationCodesRepository, 'create'>;
  codeTtl: number;
}

/** Records the grant that everything issued for this authorization request hangs off (revoking it revokes them all). */
export async function createAuthorizationGrant(
  request: AuthorizationRequest,
  auth: Authentication,
  grants: Pick<GrantsRepository, 'create'>,
  now: number,
): Promise<string> {
  const grantId = newSortableId();
  await grants.create({
    grantId,
    clientId: request.client.clientId,
    sub: auth.sub,
    scope: request.scopes.join(' '),
    sid: auth.sid,
    authTime: auth.authTime,
    amr: auth.amr,
    createdAt: now,
    revokedAt: null,
  });
  return grantId;
}

/** RFC 6749 §4.1.2: a short-lived, single-use code bound to client, redirect URI, PKCE challenge and nonce. */
export async function issueCodeForGrant(
  grantId: string,
  request: AuthorizationRequest,
  auth: Authentication,
  deps: Omit<IssueCodeDeps, 'grants'>,
  now: number,
): Promise<string> {
  const code = newTokenValue();
  await deps.codes.create({
    codeDigest: tokenKey(code),
    grantId,
    clientId: request.client.clientId,
    sub: auth.sub,
    redirectUri: request.redirectUri,
    scope: request.scopes.join(' '),
    nonce: request.nonce ?? null,
    codeChallenge: request.codeChallenge ?? null,
    codeChallengeMethod: request.codeChallenge ? 'S256' : null,
    authTime: auth.authTime,
    sid: auth.sid,
    // RFC 8707 §2.2: the token request may only narrow the resource authorized here.
    data: {
      redirect_uri_sent: request.redirectUriSent,
      ...(request.resource === undefined ? {} : { resource: request.resource }),
      // OIDC Core §5.5: the claims parameter reaches the token endpoint (ID token) and, with the tokens, UserInfo.
      ...claimsData(request.claims),
    },
    createdAt: now,
    expiresAt: now + codeLifetime(request.client, deps.codeTtl),
    consumedAt: null,
    // RFC 9449 §10: the token request must prove the key of dpop_jkt.
    ...(request.dpopJkt !== undefined && { dpopJkt: request.dpopJkt }),
  });
  return code;
}
