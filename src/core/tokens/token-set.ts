import type { ClientRecord, UserRecord } from '../../storage/types.js';
import type { GrantDeps, TokenResponse } from '../grants/types.js';
import { issueIdToken } from './id-token.js';
import { issueOpaqueToken } from './opaque.js';

export interface TokenSetInput {
  client: ClientRecord;
  grantId: string;
  user: UserRecord;
  /** Scopes of the access token. */
  scopes: readonly string[];
  /** Scopes the refresh token keeps (the whole grant), when one is issued. */
  refreshScopes?: readonly string[];
  authTime: number;
  sid: string | null;
  nonce: string | null;
  withRefreshToken: boolean;
  withIdToken: boolean;
  now: number;
}

/** Access token, optional refresh token and optional ID token for one user grant. */
export async function issueTokenSet(input: TokenSetInput, deps: GrantDeps): Promise<TokenResponse> {
  const { client, grantId, user, now } = input;
  const { policy, store } = deps;
  const scope = input.scopes.join(' ');
  const data = { auth_time: input.authTime, sid: input.sid };
  const access = await issueOpaqueToken(
    { kind: 'access_token', grantId, clientId: client.clientId, sub: user.sub, scope, data, now, ttl: policy.accessTokenTtl },
    store.tokens,
  );
  const response: TokenResponse = { access_token: access.value, token_type: 'Bearer', expires_in: policy.accessTokenTtl, scope };
  if (input.withRefreshToken) {
    const refresh = await issueOpaqueToken(
      {
        kind: 'refresh_token',
        grantId,
        clientId: client.clientId,
        sub: user.sub,
        scope: (input.refreshScopes ?? input.scopes).join(' '),
        data,
        now,
        ttl: policy.refreshTokenTtl,
      },
      store.tokens,
    );
    response.refresh_token = refresh.value;
  }
  if (input.withIdToken) {
    response.id_token = await issueIdToken(
      {
        issuer: policy.issuer,
        client,
        user,
        scopes: input.scopes,
        authTime: input.authTime,
        sid: input.sid,
        nonce: input.nonce,
        accessToken: access.value,
        now,
        ttl: policy.idTokenTtl,
      },
      deps.keys,
    );
  }
  return response;
}
