/**
 * Authorization code + PKCE for a public client (SPA), driven end to end by openid-client.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { FULL_SCOPE, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let spa: TestClient;
let resourceServer: TestClient;
let user: TestUser;
let config: client.Configuration;

beforeAll(async () => {
  ts = await startTestServer();
  spa = await ts.client({ kind: 'spa', grantTypes: ['authorization_code', 'refresh_token'] });
  resourceServer = await ts.client({ kind: 'web' });
  user = await ts.user({ name: 'Grace Hopper', profile: { given_name: 'Grace', family_name: 'Hopper' } });
  config = await discover(ts, spa, { token_endpoint_auth_method: 'none' }, client.None());
});

afterAll(async () => {
  await ts?.close();
});

describe('authorization code flow with PKCE, public client, openid-client', () => {
  const browser = new Browser();
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  let callback: URL;
  let sawLogin = false;
  let sawConsent = false;
  let nonce: string;

  it('logs in, consents and comes back to the redirect_uri with code, state and iss', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const challenge = await client.calculatePKCECodeChallenge(verifier);
    const state = client.randomState();
    nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: spa.redirectUri,
      scope: FULL_SCOPE,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const result = await browser.authorize(url, {
      stopAt: spa.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    ({ callback, sawLogin, sawConsent } = result);
    expect(sawLogin).toBe(true);
    expect(sawConsent).toBe(true);
    expect(callback.origin + callback.pathname).toBe(spa.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(ts.issuer);
    expect(callback.searchParams.get('code')).toBeTruthy();

    tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.sub);
    expect(claims.iss).toBe(ts.issuer);
    expect(claims.aud === spa.clientId || (Array.isArray(claims.aud) && claims.aud.includes(spa.clientId))).toBe(true);
    expect(claims.nonce).toBe(nonce);
  });

  it('issues a refresh token to the public client when refresh_token is an allowed grant', () => {
    expect(typeof tokens.refresh_token).toBe('string');
  });

  it('returns the person at /userinfo', async () => {
    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.sub).toBe(user.sub);
    expect(info.email).toBe(user.email);
    expect(info.email_verified).toBe(true);
    expect(info.name).toBe('Grace Hopper');
    expect(info.given_name).toBe('Grace');
    expect(info.family_name).toBe('Hopper');
  });

  it('tells another confidential client nothing about the SPA\'s tokens (RFC 7662 §4)', async () => {
    const rs = await discover(ts, resourceServer);
    for (const token of [tokens.access_token, tokens.refresh_token!]) {
      const info = await client.tokenIntrospection(rs, token);
      expect(info).toEqual({ active: false });
    }
  });

  it('refreshes with rotation', async () => {
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const info = await client.fetchUserInfo(config, refreshed.access_token, user.sub);
    expect(info.sub).toBe(user.sub);
    tokens = refreshed;
  });

  it('revokes the refresh token (public client, RFC 7009 §2.1) and its access tokens stop working', async () => {
    await client.tokenRevocation(config, tokens.refresh_token!);
    expect((await userinfo(ts, tokens.access_token)).status).toBe(401);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('logs out through buildEndSessionUrl: 303 to post_logout_redirect_uri with state', async () => {
    const idToken = tokens.id_token;
    expect(idToken).toBeTruthy();
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: idToken!,
      post_logout_redirect_uri: spa.postLogoutRedirectUri!,
      state,
    });
    const result = await browser.navigate(url, { stopAt: spa.postLogoutRedirectUri! });
    expect(result.kind, JSON.stringify(result.trail.map((p) => [p.status, p.url.href, p.body.slice(0, 300)]))).toBe('redirect');
    if (result.kind !== 'redirect') return;
    expect(result.trail.at(-1)?.status).toBe(303);
    expect(result.url.searchParams.get('state')).toBe(state);

    // The session is gone: the next authorization request asks for a login again.
    const again = client.buildAuthorizationUrl(config, {
      redirect_uri: spa.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: client.randomState(),
    });
    const first = await browser.request(again);
    expect(first.status).toBe(303);
    expect(first.location?.pathname).toMatch(/^\/interaction\//);
    const page = await browser.navigate(again, { stopAt: spa.redirectUri });
    expect(page.kind).toBe('page');
    if (page.kind === 'page') expect(findLoginForm(page.page), page.page.body.slice(0, 500)).toBeDefined();
  });
});

describe('native app with a loopback redirect URI on an ephemeral port (RFC 8252 §7.3)', () => {
  it('accepts any port on the registered loopback redirect URI, and redeems with that same URI', async () => {
    const native = await ts.client({ kind: 'native', redirectUris: ['http://127.0.0.1/callback'] });
    const nativeConfig = await discover(ts, native, { token_endpoint_auth_method: 'none' }, client.None());
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(nativeConfig, {
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const result = await new Browser().authorize(url, {
      stopAt: redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    expect(result.callback.origin + result.callback.pathname).toBe(redirectUri);
    const tokens = await client.authorizationCodeGrant(nativeConfig, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
  });
});
