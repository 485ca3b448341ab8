/** What the FAPI 2.0 flow tests share: keys, a client under the profile, its front channel, refusals, assertions. */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { Browser } from '../helpers/browser.js';
import { authorizeUrl, random } from '../helpers/oauth.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';

export const allow = oauth.allowInsecureRequests;

export interface KeyedClient extends TestClient {
  privateKey: CryptoKey;
  kid: string;
}

export async function signingKey(alg: 'ES256' | 'PS256' | 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = random(8);
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export async function fapiClient(ts: TestServer, alg: 'ES256' | 'PS256' = 'ES256'): Promise<KeyedClient> {
  const key = await signingKey(alg);
  const c = await ts.client({
    kind: 'web',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [key.jwk] },
    profile: 'fapi2',
    idTokenSignedResponseAlg: 'PS256',
  });
  return { ...c, privateKey: key.privateKey, kid: key.kid };
}

export async function discover(ts: TestServer): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(new URL(ts.issuer), await oauth.discoveryRequest(new URL(ts.issuer), { [allow]: true }));
}

/** oauth4webapi's private_key_jwt for a client with its key. */
export function keyAuth(c: KeyedClient): oauth.ClientAuth {
  return oauth.PrivateKeyJwt({ key: c.privateKey, kid: c.kid });
}

/**
 * RFC 9449 for the token requests once the server offers DPoP (dpop_signing_alg_values_supported): the profile binds
 * every access token of the client (dpop_bound_access_tokens). Without DPoP on the server, plain requests.
 */
export async function dpopOptions(as: oauth.AuthorizationServer): Promise<{ DPoP?: oauth.DPoPHandle }> {
  if (!as.dpop_signing_alg_values_supported) return {};
  return { DPoP: oauth.DPoP({}, await oauth.generateKeyPair('ES256')) };
}

/**
 * The front channel for a FAPI client: PKCE S256, code, through the browser. Pushed first (RFC 9126) when the server
 * has a PAR endpoint, as the profile requires (require_pushed_authorization_requests); else sent directly.
 */
export async function frontChannel(ts: TestServer, c: TestClient | KeyedClient, user: TestUser, params: Record<string, string> = {}) {
  const as = await discover(ts);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = random();
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid profile offline_access',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  };
  let url: URL;
  if (as.pushed_authorization_request_endpoint && 'privateKey' in c) {
    const rp: oauth.Client = { client_id: c.clientId };
    const pushed = await oauth.processPushedAuthorizationResponse(as, rp, await oauth.pushedAuthorizationRequest(as, rp, keyAuth(c), parameters, { [allow]: true }));
    url = authorizeUrl(ts, { client_id: c.clientId, request_uri: pushed.request_uri });
  } else {
    url = authorizeUrl(ts, parameters);
  }
  const result = await new Browser().authorize(url, { stopAt: c.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
  return { result, verifier, state, nonce };
}

/** An /authorize request refused before any sign-in: the error redirect's parameters, or the error page's status. */
export async function authorizeRefusal(ts: TestServer, params: Record<string, string>) {
  const res = await fetch(authorizeUrl(ts, params), { redirect: 'manual' });
  const location = res.headers.get('location');
  if (location) {
    const url = new URL(location, ts.issuer);
    return { status: res.status, params: new URLSearchParams(url.hash ? url.hash.slice(1) : url.search), location: url };
  }
  return { status: res.status, params: undefined, location: undefined, body: await res.text() };
}

/** A private_key_jwt assertion made by hand, for what oauth4webapi would never send. */
export async function assertion(ts: TestServer, c: KeyedClient, options: { alg?: string; key?: CryptoKey; aud?: string | string[] } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: random() })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: c.kid })
    .setIssuer(c.clientId)
    .setSubject(c.clientId)
    .setAudience(options.aud ?? ts.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(options.key ?? c.privateKey);
}

export const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
