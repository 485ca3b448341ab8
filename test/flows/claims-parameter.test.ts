/**
 * The claims request parameter (OIDC Core §5.5): individual claims for the ID token and for UserInfo, essential and
 * voluntary, value and values, kept with the code and the tokens (also after a refresh), acr as essential (like
 * acr_values), and invalid requests refused with invalid_request. Relying parties: openid-client and oauth4webapi.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { authorizeUrl, getJson, obtainTokens, random, tokenRequest, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;

async function idTokenClaims(idToken: string, c: TestClient) {
  const jwks = createRemoteJWKSet(new URL(`${ts.issuer}/jwks`));
  return (await jwtVerify(idToken, jwks, { issuer: ts.issuer, audience: c.clientId })).payload;
}

function claimsParam(value: unknown): Record<string, string> {
  return { claims: JSON.stringify(value) };
}

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user({
    name: 'Grace Hopper',
    profile: { given_name: 'Grace', family_name: 'Hopper', locale: 'en-US', nickname: 'Amazing Grace' },
  });
  web = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

describe('claims in the ID token', () => {
  it('returns essential and voluntary claims the scope does not cover, in the ID token only', async () => {
    const claims = { id_token: { email: { essential: true }, given_name: null, nickname: { essential: false } } };
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: 'openid', extra: claimsParam(claims) });
    const payload = await idTokenClaims(tokens.id_token, web);
    expect(payload.email).toBe(user.email);
    expect(payload.given_name).toBe('Grace');
    expect(payload.nickname).toBe('Amazing Grace');
    // Not asked for: neither by scope nor by claims.
    expect(payload.family_name).toBeUndefined();
    expect(payload.locale).toBeUndefined();

    // The id_token member does not reach UserInfo, which answers for the scope (openid: sub only).
    const info = await userinfo(ts, tokens.access_token);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ sub: user.sub });
  });

  it('returns the person’s own value for a claim requested with value or values (OIDC Core §5.5.1)', async () => {
    const claims = { id_token: { locale: { value: 'fr-FR' }, family_name: { values: ['Lovelace', 'Turing'] } } };
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: 'openid', extra: claimsParam(claims) });
    const payload = await idTokenClaims(tokens.id_token, web);
    expect(payload.locale).toBe('en-US');
    expect(payload.family_name).toBe('Hopper');
  });

  it('keeps the id_token member after a refresh: the refreshed ID token carries the same claims', async () => {
    const claims = { id_token: { email: null } };
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: 'openid offline_access', extra: claimsParam(claims) });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web);
    expect(refreshed.status, refreshed.text).toBe(200);
    const payload = await idTokenClaims(refreshed.body.id_token, web);
    expect(payload.email).toBe(user.email);
  });

  it('never releases a claim whose scope the client is not registered for', async () => {
    const narrow = await ts.client({ kind: 'web', scopes: ['openid', 'profile'] });
    const claims = { id_token: { email: { essential: true }, given_name: null }, userinfo: { email: { essential: true } } };
    const { tokens } = await obtainTokens(ts, new Browser(), narrow, user, { scope: 'openid', extra: claimsParam(claims) });
    const payload = await idTokenClaims(tokens.id_token, narrow);
    expect(payload.given_name).toBe('Grace');
    expect(payload.email).toBeUndefined();
    const info = await userinfo(ts, tokens.access_token);
    expect(info.body.email).toBeUndefined();
  });

  it('states an acr among requested values, and ignores unknown claim names and members', async () => {
    const claims = { id_token: { acr: { values: ['urn:latch:acr:pwd'] }, not_a_claim: null }, something_else: { x: 1 } };
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: 'openid', extra: claimsParam(claims) });
    const payload = await idTokenClaims(tokens.id_token, web);
    expect(payload.acr).toBe('urn:latch:acr:pwd');
    expect(payload.not_a_claim).toBeUndefined();
  });
});

describe('consent for claims requested by name', () => {
  it('covers their scope: prompt=none gets consent_required, the consent page asks, and the answer is remembered', async () => {
    const person = await ts.user({ profile: { given_name: 'Dorothy', family_name: 'Vaughan' } });
    const app = await ts.client({ kind: 'web' });
    const browser = new Browser();
    await obtainTokens(ts, browser, app, person, { scope: 'openid' });
    expect((await ts.latch.store.consents.find(person.sub, app.clientId))?.scopes).toEqual(['openid']);
    const claims = claimsParam({ id_token: { email: { essential: true } } });

    const silent = await browser.navigate(
      authorizeUrl(ts, {
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: app.redirectUri,
        scope: 'openid',
        state: random(),
        prompt: 'none',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...claims,
      }),
      { stopAt: app.redirectUri },
    );
    expect(silent.kind === 'redirect' && silent.url.searchParams.get('error')).toBe('consent_required');

    const { code, tokens } = await obtainTokens(ts, browser, app, person, { scope: 'openid', extra: claims });
    expect(code.sawConsent).toBe(true);
    expect((await idTokenClaims(tokens.id_token, app)).email).toBe(person.email);
    expect((await ts.latch.store.consents.find(person.sub, app.clientId))?.scopes).toEqual(['email', 'openid']);
  });
});

describe('claims in UserInfo', () => {
  it('with openid-client: the userinfo member is answered at /userinfo, not in the ID token', async () => {
    const config = await discover(ts, web, {}, client.ClientSecretBasic(web.clientSecret!));
    expect(config.serverMetadata().claims_parameter_supported).toBe(true);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      claims: JSON.stringify({ userinfo: { email: { essential: true }, email_verified: null, family_name: null } }),
    });
    const result = await new Browser().authorize(url, {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const idClaims = tokens.claims()!;
    expect(idClaims.email).toBeUndefined();
    const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    expect(info).toMatchObject({ sub: user.sub, email: user.email, email_verified: true, family_name: 'Hopper' });
    expect(info.given_name).toBeUndefined();

    // After a refresh, the new access token still answers the userinfo member.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const again = await client.fetchUserInfo(config, refreshed.access_token, idClaims.sub);
    expect(again.email).toBe(user.email);
  });

  it('with oauth4webapi and the hybrid response type code token: the access token from /authorize carries it too', async () => {
    const hybrid = await ts.client({ kind: 'web', grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code token'] });
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const url = authorizeUrl(ts, {
      response_type: 'code token',
      client_id: hybrid.clientId,
      redirect_uri: hybrid.redirectUri,
      scope: 'openid',
      state: random(),
      nonce: random(),
      claims: JSON.stringify({ userinfo: { given_name: { essential: true } } }),
    });
    const result = await new Browser().authorize(url, {
      stopAt: hybrid.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const accessToken = result.params.get('access_token');
    expect(accessToken, result.callback.href).toBeTruthy();
    const rp: oauth.Client = { client_id: hybrid.clientId };
    const response = await oauth.userInfoRequest(as, rp, accessToken!, { [oauth.allowInsecureRequests]: true });
    const info = await oauth.processUserInfoResponse(as, rp, user.sub, response);
    expect(info.given_name).toBe('Grace');
    expect(info.email).toBeUndefined();
  });
});

describe('acr requested as an essential claim', () => {
  it('is honoured like acr_values: a one-factor session cannot silently satisfy an essential mfa (prompt=none)', async () => {
    const browser = new Browser();
    await obtainTokens(ts, browser, web, user, { scope: 'openid' });
    const base = { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid', state: random(), prompt: 'none' };
    const code_challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const pkce = { code_challenge, code_challenge_method: 'S256' };

    const essential = await browser.navigate(
      authorizeUrl(ts, { ...base, ...pkce, ...claimsParam({ id_token: { acr: { essential: true, values: ['urn:latch:acr:mfa'] } } }) }),
      { stopAt: web.redirectUri },
    );
    expect(essential.kind).toBe('redirect');
    if (essential.kind !== 'redirect') return;
    expect(essential.url.searchParams.get('error')).toBe('interaction_required');

    // The same values requested as voluntary change nothing: the session's level is stated.
    const voluntary = await browser.navigate(
      authorizeUrl(ts, { ...base, ...pkce, ...claimsParam({ id_token: { acr: { values: ['urn:latch:acr:mfa'] } } }) }),
      { stopAt: web.redirectUri },
    );
    expect(voluntary.kind === 'redirect' && voluntary.url.searchParams.get('code')).toBeTruthy();
  });

  it('with only unsupported values: access_denied (§5.5.1.1, a failed authentication)', async () => {
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: web.redirectUri,
      scope: 'openid',
      state: random(),
      ...claimsParam({ id_token: { acr: { essential: true, value: 'urn:example:loa:4' } } }),
    });
    const result = await new Browser().navigate(url, { stopAt: web.redirectUri });
    expect(result.kind).toBe('redirect');
    if (result.kind === 'redirect') expect(result.url.searchParams.get('error')).toBe('access_denied');
  });
});

describe('sub requested with a value', () => {
  it('of another person: login_required with prompt=none, the signed-in person is not answered for', async () => {
    const browser = new Browser();
    await obtainTokens(ts, browser, web, user, { scope: 'openid' });
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: web.redirectUri,
      scope: 'openid',
      state: random(),
      prompt: 'none',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...claimsParam({ id_token: { sub: { value: 'someone-else' } } }),
    });
    const result = await browser.navigate(url, { stopAt: web.redirectUri });
    expect(result.kind === 'redirect' && result.url.searchParams.get('error')).toBe('login_required');
    const own = new URL(url);
    own.searchParams.set('claims', JSON.stringify({ id_token: { sub: { value: user.sub } } }));
    const mine = await browser.navigate(own, { stopAt: web.redirectUri });
    expect(mine.kind === 'redirect' && mine.url.searchParams.get('code')).toBeTruthy();
  });
});

describe('invalid claims parameter', () => {
  const cases: [string, string][] = [
    ['not JSON', '{"id_token":'],
    ['a JSON array', '[]'],
    ['a JSON string', '"email"'],
    ['id_token not an object', JSON.stringify({ id_token: 'email' })],
    ['userinfo an array', JSON.stringify({ userinfo: ['email'] })],
    ['a claim request that is a string', JSON.stringify({ id_token: { email: 'yes' } })],
    ['essential not a boolean', JSON.stringify({ id_token: { email: { essential: 'true' } } })],
    ['values not an array', JSON.stringify({ id_token: { acr: { values: 'urn:latch:acr:mfa' } } })],
    ['too long', JSON.stringify({ id_token: { email: { value: 'x'.repeat(9000) } } })],
  ];
  for (const [name, value] of cases) {
    it(`${name}: invalid_request, redirected with state, nothing issued`, async () => {
      const state = random();
      const url = authorizeUrl(ts, { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid', state, claims: value });
      const result = await new Browser().navigate(url, { stopAt: web.redirectUri });
      expect(result.kind).toBe('redirect');
      if (result.kind !== 'redirect') return;
      expect(result.url.searchParams.get('error')).toBe('invalid_request');
      expect(result.url.searchParams.get('error_description')).toMatch(/claims/);
      expect(result.url.searchParams.get('state')).toBe(state);
      expect(result.url.searchParams.get('code')).toBeNull();
    });
  }

  it('userinfo member with response_type id_token (no access token): invalid_request', async () => {
    const implicit = await ts.client({
      kind: 'spa',
      grantTypes: ['implicit'],
      responseTypes: ['id_token'],
      redirectUris: ['https://claims-implicit.example.test/callback'],
    });
    const url = authorizeUrl(ts, {
      response_type: 'id_token',
      client_id: implicit.clientId,
      redirect_uri: implicit.redirectUri,
      scope: 'openid',
      state: random(),
      nonce: random(),
      ...claimsParam({ userinfo: { email: null } }),
    });
    const result = await new Browser().navigate(url, { stopAt: implicit.redirectUri });
    expect(result.kind).toBe('redirect');
    if (result.kind !== 'redirect') return;
    const params = new URLSearchParams(result.url.hash.slice(1));
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/claims\.userinfo/);
  });
});

describe('discovery', () => {
  it('advertises claims_parameter_supported and the claims it can return', async () => {
    const res = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
    expect(res.body.claims_parameter_supported).toBe(true);
    expect(res.body.claims_supported).toEqual(expect.arrayContaining(['sub', 'email', 'given_name', 'acr', 'auth_time']));
  });
});
