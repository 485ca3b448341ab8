/**
 * Latch as a relying party of one upstream connection, through openid-client: the authorization code flow with PKCE
 * (S256), `state` and (OpenID Connect) `nonce`; openid-client validates the upstream's ID token (signature from its
 * JWKS, iss, aud, exp, iat, nonce). Plain OAuth 2.0 connections read the person from their userinfo endpoint.
 */
import * as client from 'openid-client';
import type { ConnectionRecord } from '../storage/types.js';
import { mapClaims, type UpstreamProfile } from './claims.js';
import { federationFetch } from './fetch.js';
import { type FederationKeys, nonceFor, openClientSecret, pkceVerifier } from './secrets.js';

export interface RelyingPartyDeps {
  /** The server secret: opens the connection's client secret. */
  serverSecret: Uint8Array;
  allowPrivate: boolean;
  timeoutMs?: number;
}

/** The URL operators register at the upstream (`<issuer>/federation/<id>/callback`). */
export function callbackUrl(issuer: string, connectionId: string): string {
  return `${issuer.replace(/\/$/, '')}/federation/${encodeURIComponent(connectionId)}/callback`;
}

/** The upstream did not answer as a provider must (its ID token, its token or userinfo response). */
export class UpstreamResponseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamResponseError';
  }
}

async function clientAuth(connection: ConnectionRecord, deps: RelyingPartyDeps, supported: readonly string[] | undefined): Promise<client.ClientAuth> {
  if (connection.clientSecretEncrypted === null) return client.None();
  const secret = await openClientSecret(connection.clientSecretEncrypted, deps.serverSecret, connection.id);
  // RFC 6749 §2.3.1: every server supports HTTP Basic; RFC 8414 §2: it is the default when metadata lists none.
  if (supported === undefined || supported.includes('client_secret_basic')) return client.ClientSecretBasic(secret);
  return client.ClientSecretPost(secret);
}

/**
 * The openid-client configuration of a connection: OpenID Connect by discovery of its issuer (with the connection's
 * endpoints as overrides), plain OAuth 2.0 by its endpoints.
 */
export async function upstreamConfig(connection: ConnectionRecord, deps: RelyingPartyDeps): Promise<client.Configuration> {
  const customFetch = federationFetch({ allowPrivate: deps.allowPrivate, ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}) });
  // The outbound fetch keeps https-only for everything but loopback with LATCH_FETCH_ALLOW_PRIVATE.
  const execute = deps.allowPrivate ? [client.allowInsecureRequests] : [];
  let config: client.Configuration;
  if (connection.type === 'oidc') {
    if (!connection.issuer) throw new UpstreamResponseError(`connection ${connection.id} has no issuer`);
    const discovered = await client.discovery(new URL(connection.issuer), connection.clientId, undefined, client.None(), { [client.customFetch]: customFetch, execute });
    const { supportsPKCE: _helper, ...metadata } = discovered.serverMetadata();
    const server: client.ServerMetadata = {
      ...metadata,
      ...(connection.authorizationEndpoint ? { authorization_endpoint: connection.authorizationEndpoint } : {}),
      ...(connection.tokenEndpoint ? { token_endpoint: connection.tokenEndpoint } : {}),
      ...(connection.userinfoEndpoint ? { userinfo_endpoint: connection.userinfoEndpoint } : {}),
    };
    config = new client.Configuration(server, connection.clientId, undefined, await clientAuth(connection, deps, server.token_endpoint_auth_methods_supported));
  } else {
    if (!connection.authorizationEndpoint || !connection.tokenEndpoint || !connection.userinfoEndpoint) {
      throw new UpstreamResponseError(`connection ${connection.id} lacks an endpoint`);
    }
    const server: client.ServerMetadata = {
      issuer: connection.issuer ?? new URL(connection.authorizationEndpoint).origin,
      authorization_endpoint: connection.authorizationEndpoint,
      token_endpoint: connection.tokenEndpoint,
      userinfo_endpoint: connection.userinfoEndpoint,
    };
    config = new client.Configuration(server, connection.clientId, undefined, await clientAuth(connection, deps, undefined));
  }
  config[client.customFetch] = customFetch;
  for (const run of execute) run(config);
  return config;
}

function scopesOf(connection: ConnectionRecord): string {
  const scopes = connection.scopes.length > 0 ? connection.scopes : connection.type === 'oidc' ? ['openid', 'email', 'profile'] : [];
  // OpenID Connect Core §3.1.2.1: scope must contain openid.
  return (connection.type === 'oidc' && !scopes.includes('openid') ? ['openid', ...scopes] : scopes).join(' ');
}

/** Where to send the browser: the upstream's authorization endpoint with everything the callback will check. */
export async function authorizationUrl(connection: ConnectionRecord, config: client.Configuration, keys: FederationKeys, state: string, redirectUri: string): Promise<URL> {
  const params: Record<string, string> = {
    redirect_uri: redirectUri,
    response_type: 'code',
    state,
    // RFC 7636 §4.2: the S256 challenge of the verifier derived from the state.
    code_challenge: await client.calculatePKCECodeChallenge(pkceVerifier(keys, state)),
    code_challenge_method: 'S256',
  };
  const scope = scopesOf(connection);
  if (scope) params.scope = scope;
  if (connection.type === 'oidc') params.nonce = nonceFor(keys, state);
  return client.buildAuthorizationUrl(config, params);
}

/**
 * The callback: exchanges the code (PKCE verifier and nonce recomputed from the state), validates the ID token, reads
 * userinfo, and maps the claims. Throws UpstreamResponseError for what the upstream got wrong; errors of the fetch
 * (unreachable, too slow) keep their OutboundFetchError as cause.
 */
export async function finishUpstream(
  connection: ConnectionRecord,
  config: client.Configuration,
  keys: FederationKeys,
  state: string,
  currentUrl: URL,
): Promise<UpstreamProfile> {
  const oidc = connection.type === 'oidc';
  const tokens = await client.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: pkceVerifier(keys, state),
    expectedState: state,
    ...(oidc ? { expectedNonce: nonceFor(keys, state), idTokenExpected: true } : {}),
  });
  let claims: Record<string, unknown> = {};
  if (oidc) {
    const idClaims = tokens.claims();
    if (!idClaims) throw new UpstreamResponseError('the upstream sent no ID token');
    claims = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint) {
      // OpenID Connect Core §5.3.4: the userinfo sub must equal the ID token's (openid-client checks it).
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...idClaims };
    }
  } else {
    const url = config.serverMetadata().userinfo_endpoint!;
    const response = await client.fetchProtectedResource(config, tokens.access_token, new URL(url), 'GET', undefined, new Headers({ accept: 'application/json' }));
    if (response.status !== 200) throw new UpstreamResponseError(`the userinfo endpoint answered ${response.status}`);
    try {
      claims = (await response.json()) as Record<string, unknown>;
    } catch (err) {
      throw new UpstreamResponseError('the userinfo endpoint did not answer JSON', { cause: err });
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new UpstreamResponseError('the userinfo answer is not an object');
  }
  const profile = mapClaims(connection.claimMapping, claims);
  if (!profile) throw new UpstreamResponseError('the upstream did not say who the person is (no subject)');
  return profile;
}
