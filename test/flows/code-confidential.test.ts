/**
 * Authorization code flow for confidential clients: client_secret_basic, client_secret_post and
 * private_key_jwt, with two real relying parties (openid-client and oauth4webapi).
 */
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { authorizeUrl, FULL_SCOPE, introspect, pkcePair, random } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user({ name: 'Alan Turing', profile: { given_name: 'Alan', family_name: 'Turing' } });
});

afterAll(async () => {
  await ts?.close();
});

async function signingKey(alg: 'ES256' | 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = random(8);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { privateKey, kid, jwk };
}

/** Runs the front channel with openid-client's URL builder and returns the callback URL. */
async function frontChannel(config: client.Configuration, c: TestClient, params: Record<string, string>, browser = new Browser()) {
  const url = client.buildAuthorizationUrl(config, { redirect_uri: c.redirectUri, scope: FULL_SCOPE, ...params });
  const result = await browser.authorize(url, {
    stopAt: c.redirectUri,
    credentials: { email: user.email, password: user.password },
    decision: 'allow',
  });
  expect(result.params.get('iss')).toBe(ts.issuer);
  return result.callback;
}

describe('client_secret_basic with openid-client', () => {
  let web: TestClient;
  beforeAll(async () => {
    web = await ts.client({ kind: 'web' });
  });

  it('completes the flow with PKCE and gets tokens, ID token and userinfo', async () => {
    expect(web.clientSecret).toBeTruthy();
    const config = await discover(ts, web, {}, client.ClientSecretBasic(web.clientSecret!));
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const callback = await frontChannel(config, web, {
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.claims()?.sub).toBe(user.sub);
    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.email).toBe(user.email);
    expect(info.name).toBe('Alan Turing');
  });

  it('completes the flow without PKCE (confidential client, state + nonce)', async () => {
    const config = await discover(ts, web, {}, client.ClientSecretBasic(web.clientSecret!));
    const state = client.randomState();
    const nonce = client.randomNonce();
    const callback = await frontChannel(config, web, { state, nonce });
    const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()?.sub).toBe(user.sub);
  });
});

describe('client_secret_basic with oauth4webapi', () => {
  it('completes the flow with PKCE, validating iss in the authorization response', async () => {
    const web = await ts.client({ kind: 'web' });
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
    );
    const rp: oauth.Client = { client_id: web.clientId };
    const clientAuth = oauth.ClientSecretBasic(web.clientSecret!);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: web.redirectUri,
      scope: FULL_SCOPE,
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const browser = new Browser();
    const result = await browser.authorize(url, {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, clientAuth, params, web.redirectUri, verifier, {
      [oauth.allowInsecureRequests]: true,
    });
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims.sub).toBe(user.sub);
    expect(claims.nonce).toBe(nonce);

    const infoResponse = await oauth.userInfoRequest(as, rp, tokens.access_token, { [oauth.allowInsecureRequests]: true });
    const info = await oauth.processUserInfoResponse(as, rp, claims.sub, infoResponse);
    expect(info.email).toBe(user.email);

    const introspection = await oauth.processIntrospectionResponse(
      as,
      rp,
      await oauth.introspectionRequest(as, rp, clientAuth, tokens.access_token, { [oauth.allowInsecureRequests]: true }),
    );
    expect(introspection.active).toBe(true);
    expect(introspection.client_id).toBe(web.clientId);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      rp,
      await oauth.refreshTokenGrantRequest(as, rp, clientAuth, tokens.refresh_token!, { [oauth.allowInsecureRequests]: true }),
    );
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, rp, clientAuth, refreshed.refresh_token!, { [oauth.allowInsecureRequests]: true }),
    );
    const after = await oauth.processIntrospectionResponse(
      as,
      rp,
      await oauth.introspectionRequest(as, rp, clientAuth, refreshed.access_token, { [oauth.allowInsecureRequests]: true }),
    );
    expect(after.active).toBe(false);
  });
});

describe('client_secret_post', () => {
  it('authenticates with the secret in the body (openid-client ClientSecretPost)', async () => {
    const web = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_post' });
    expect(web.clientSecret).toBeTruthy();
    const config = await discover(ts, web, { token_endpoint_auth_method: 'client_secret_post' }, client.ClientSecretPost(web.clientSecret!));
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const callback = await frontChannel(config, web, {
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    const info = await client.tokenIntrospection(config, tokens.access_token);
    expect(info.active).toBe(true);
  });

  it('refuses client_secret_basic for a client registered for client_secret_post', async () => {
    const web = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_post' });
    const res = await introspect(ts, 'whatever', { clientId: web.clientId, clientSecret: web.clientSecret! });
    expect(res.status, res.text).toBe(401);
    expect(res.body?.error).toBe('invalid_client');
  });
});

describe('private_key_jwt', () => {
  it('authenticates with an ES256 assertion signed by openid-client PrivateKeyJwt', async () => {
    const key = await signingKey('ES256');
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    expect(c.clientSecret).toBeUndefined();
    const config = await discover(
      ts,
      c,
      { token_endpoint_auth_method: 'private_key_jwt' },
      client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
    );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const callback = await frontChannel(config, c, {
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    const info = await client.tokenIntrospection(config, refreshed.access_token);
    expect(info.active).toBe(true);
    expect(info.client_id).toBe(c.clientId);
  });

  it('authenticates with an RS256 assertion signed by oauth4webapi PrivateKeyJwt', async () => {
    const key = await signingKey('RS256');
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const rp: oauth.Client = { client_id: c.clientId };
    const clientAuth = oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid });
    const { verifier, challenge } = pkcePair();
    const state = oauth.generateRandomState();
    const result = await new Browser().authorize(
      authorizeUrl(ts, {
        response_type: 'code',
        client_id: c.clientId,
        redirect_uri: c.redirectUri,
        scope: 'openid email',
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { stopAt: c.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' },
    );
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      rp,
      await oauth.authorizationCodeGrantRequest(as, rp, clientAuth, params, c.redirectUri, verifier, {
        [oauth.allowInsecureRequests]: true,
      }),
    );
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(user.sub);
  });

  it('refuses an assertion signed with a key the client did not register (401 invalid_client)', async () => {
    const registered = await signingKey('ES256');
    const other = await signingKey('ES256');
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [registered.jwk] } });
    const config = await discover(ts, c, {}, client.PrivateKeyJwt({ key: other.privateKey, kid: registered.kid }));
    await expect(client.tokenIntrospection(config, 'whatever')).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
  });
});

describe('POST /authorize', () => {
  it('accepts a form-encoded authorization request like GET', async () => {
    const web = await ts.client({ kind: 'web' });
    const browser = new Browser();
    const { challenge } = pkcePair();
    const state = random();
    const body = new URLSearchParams({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: web.redirectUri,
      scope: 'openid',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const result = await browser.navigate(`${ts.issuer}/authorize`, { stopAt: web.redirectUri, init: { method: 'POST', body } });
    expect(result.trail[0]?.status).toBe(303);
    expect(result.trail[0]?.location?.pathname).toMatch(/^\/interaction\//);
    expect(result.kind).toBe('page');
    if (result.kind === 'page') expect(findLoginForm(result.page)).toBeDefined();
  });
});
