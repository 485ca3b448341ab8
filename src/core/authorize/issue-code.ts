import type { AuthorizationCodesRepository, GrantsRepository } from '../../storage/types.js';
import { digest, randomToken } from '../tokens/hash.js';
import type { Authentication } from './decide.js';
import type { AuthorizationRequest } from './request.js';

export interface IssueCodeDeps {
  grants: Pick<GrantsRepository, 'create'>;
  codes: Pick<AuthorizationCodesRepository, 'create'>;
  codeTtl: number;
}

/** RFC 6749 §4.1.2: a short-lived, single-use code bound to client, redirect URI, PKCE challenge and nonce. */
export async function issueAuthorizationCode(request: AuthorizationRequest, auth: Authentication, deps: IssueCodeDeps, now: number): Promise<string> {
  const grantId = randomToken(16);
  const scope = request.scopes.join(' ');
  await deps.grants.create({
    grantId,
    clientId: request.client.clientId,
    sub: auth.sub,
    scope,
    sid: auth.sid,
    authTime: auth.authTime,
    createdAt: now,
    revokedAt: null,
  });
  const code = randomToken();
  await deps.codes.create({
    codeDigest: digest(code),
    grantId,
    clientId: request.client.clientId,
    sub: auth.sub,
    redirectUri: request.redirectUri,
    scope,
    nonce: request.nonce ?? null,
    codeChallenge: request.codeChallenge ?? null,
    codeChallengeMethod: request.codeChallenge ? 'S256' : null,
    authTime: auth.authTime,
    sid: auth.sid,
    data: { redirect_uri_sent: request.redirectUriSent },
    createdAt: now,
    expiresAt: now + deps.codeTtl,
    consumedAt: null,
  });
  return code;
}
