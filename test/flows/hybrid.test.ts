/**
 * The hybrid flow (OIDC Core §3.3): code id_token, code token and code id_token token, with c_hash / at_hash
 * (§3.3.2.11), nonce rules, fragment by default and form_post, and the same subject front and back channel.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfHash } from '../../src/core/tokens/half-hash.js';
import { Browser } from '../helpers/browser.js';
import { authorizeFrontChannel, formPostRequest, type FrontChannelResult } from '../helpers/front-channel.js';
import { authorizeUrl, expectTokenError, expectTokens, pkcePair, random, redeemCode, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let hybridClient: TestClient;
let codeOnlyClient: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  hybridClient = await ts.client({
    kind: 'web',
    grantTypes: ['authorization_code', 'implicit', 'refresh_token'],
    responseTypes: ['code', 'code id_token', 'code token', 'code id_token token'],
    idTokenSignedResponseAlg: 'ES256',
  });
  codeOnlyClient = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

const jwks = () => createRemoteJWKSet(new URL(`${ts.issuer}/jwks`));

async function verifyIdToken(idToken: string) {
  return (await jwtVerify(idToken, jwks(), { issuer: ts.issuer, audience: hybridClient.clientId })).payload;
}

interface Hybrid {
  result: FrontChannelResult;
  params: URLSearchParams;
  nonce: string;
  state: string;
  verifier: string;
}

async function hybrid(responseType: string, extra: Record<string, string> = {}, browser = new Browser()): Promise<Hybrid> {
  const nonce = random();
  const state = random();
  const { verifier, challenge } = pkcePair();
  const params: Record<string, string> = {
    response_type: responseType,
    client_id: hybridClient.clientId,
    redirect_uri: hybridClient.redirectUri,
    scope: 'openid profile email offline_access',
    nonce,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  // An empty value in `extra` means: do not send the parameter.
  const url = authorizeUrl(ts, Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '')));
  const result = await authorizeFrontChannel(browser, url, { stopAt: hybridClient.redirectUri, credentials: user, decision: 'allow' });
  if (result.mode === 'redirect') expect(result.callback.search, 'a hybrid response never uses the query').toBe('');
  expect(result.params.get('state')).toBe(state);
  expect(result.params.get('iss')).toBe(ts.issuer);
  // RFC 6749 §4.2.2: no refresh token from the authorization endpoint.
  expect(result.params.has('refresh_token')).toBe(false);
  return { result, params: result.params, nonce, state, verifier };
}

function redeem(h: Hybrid, code = h.params.get('code')!) {
  return redeemCode(ts, hybridClient, { code, redirectUri: hybridClient.redirectUri, verifier: h.verifier });
}

describe('hybrid flow with openid-client (code id_token)', () => {
  it('fragment: validates c_hash, nonce and state, then redeems the code', async () => {
    const config = await discover(ts, hybridClient, { id_token_signed_response_alg: 'ES256' });
    client.useCodeIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: hybridClient.redirectUri,
      scope: 'openid email',
      nonce,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('response_type')).toBe('code id_token');
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: hybridClient.redirectUri, credentials: user, decision: 'allow' });
    if (result.mode !== 'redirect') throw new Error('expected a redirect');
    expect(result.callback.hash).toContain('code=');

    const front = decodeJwt(result.params.get('id_token')!);
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
    const back = tokens.claims()!;
    // OIDC Core §3.3.3.6: the sub of the ID token from the token endpoint is the same as from the authorization endpoint.
    expect(back.sub).toBe(front.sub);
    expect(back.sub).toBe(user.sub);
    expect(back.nonce).toBe(nonce);
    expect(tokens.refresh_token).toBeTruthy();
    expect(front.c_hash).toBe(halfHash(result.params.get('code')!, 'ES256'));
    expect(front.at_hash).toBeUndefined();
  });

  it('form_post: openid-client accepts the posted response', async () => {
    const config = await discover(ts, hybridClient, { id_token_signed_response_alg: 'ES256' });
    client.useCodeIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: hybridClient.redirectUri,
      scope: 'openid',
      response_mode: 'form_post',
      nonce,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: hybridClient.redirectUri, credentials: user, decision: 'allow' });
    if (result.mode !== 'form_post') throw new Error('expected a form_post page');
    expect([...result.params.keys()].sort()).toEqual(['code', 'id_token', 'iss', 'state']);
    const tokens = await client.authorizationCodeGrant(config, formPostRequest(result.form), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
    });
    expect(tokens.claims()!.sub).toBe(user.sub);
  });

  it('a relying party detects a swapped code: c_hash no longer matches and openid-client refuses it', async () => {
    const config = await discover(ts, hybridClient, { id_token_signed_response_alg: 'ES256' });
    client.useCodeIdTokenResponseType(config);
    const browser = new Browser();
    const victim = await hybrid('code id_token', {}, browser);
    const injected = await hybrid('code id_token', {}, browser);
    const idToken = victim.params.get('id_token')!;
    const claims = await verifyIdToken(idToken);
    expect(claims.c_hash).toBe(halfHash(victim.params.get('code')!, 'ES256'));
    expect(claims.c_hash).not.toBe(halfHash(injected.params.get('code')!, 'ES256'));

    const tampered = new URL(hybridClient.redirectUri);
    const fragment = new URLSearchParams(victim.params);
    fragment.set('code', injected.params.get('code')!);
    tampered.hash = fragment.toString();
    const error = await client
      .authorizationCodeGrant(config, tampered, { pkceCodeVerifier: victim.verifier, expectedNonce: victim.nonce, expectedState: victim.state })
      .then(() => undefined, (err: unknown) => err as Error & { code?: string; cause?: Error & { cause?: { claim?: string } } });
    expect(error, 'openid-client accepted a swapped code').toBeInstanceOf(Error);
    expect(error!.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(error!.cause?.message).toMatch(/c_hash/);
    expect(error!.cause?.cause?.claim).toBe('c_hash');
    // The swapped-in code was never redeemed, so it still works for its own (legitimate) request.
    expectTokens(await redeem(injected));
  });
});

describe('hybrid flow: code token and code id_token token', () => {
  it('code token: code and access token in the fragment, no ID token; the back-channel ID token has the same sub', async () => {
    const h = await hybrid('code token');
    if (h.result.mode !== 'redirect') throw new Error('expected a redirect');
    expect([...h.params.keys()].sort()).toEqual(['access_token', 'code', 'expires_in', 'iss', 'scope', 'state', 'token_type']);
    expect(h.params.get('token_type')).toBe('Bearer');

    const front = await userinfo(ts, h.params.get('access_token')!);
    expect(front.status, front.text).toBe(200);
    const tokens = expectTokens(await redeem(h));
    const back = await verifyIdToken(tokens.id_token);
    expect(back.sub).toBe(front.body.sub);
    expect(back.nonce).toBe(h.nonce);
    expect(back.at_hash).toBe(halfHash(tokens.access_token, 'ES256'));
  });

  it('code token without nonce is allowed (OIDC Core §3.3.2.1: nonce is OPTIONAL when no ID token is returned)', async () => {
    const h = await hybrid('code token', { nonce: '' });
    expect(h.params.get('code')).toBeTruthy();
    const tokens = expectTokens(await redeem(h));
    expect(decodeJwt(tokens.id_token).nonce).toBeUndefined();
  });

  it('code id_token token: c_hash and at_hash both match; front and back channel sub are equal', async () => {
    const h = await hybrid('code id_token token');
    const code = h.params.get('code')!;
    const accessToken = h.params.get('access_token')!;
    const idToken = h.params.get('id_token')!;
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    const front = await verifyIdToken(idToken);
    expect(front.c_hash).toBe(halfHash(code, 'ES256'));
    expect(front.at_hash).toBe(halfHash(accessToken, 'ES256'));
    expect(front.nonce).toBe(h.nonce);
    // The "hash mismatch" a relying party must detect (OIDC Core §3.3.2.12): another code or token does not match.
    expect(front.c_hash).not.toBe(halfHash(`${code}x`, 'ES256'));
    expect(front.at_hash).not.toBe(halfHash(`${accessToken}x`, 'ES256'));

    const tokens = expectTokens(await redeem(h));
    const back = await verifyIdToken(tokens.id_token);
    expect(back.sub).toBe(front.sub);
    expect(back.sub).toBe(user.sub);
    expect(back.nonce).toBe(h.nonce);
    expect(tokens.access_token).not.toBe(accessToken);
  });

  it('code id_token token with form_post', async () => {
    const h = await hybrid('code id_token token', { response_mode: 'form_post' });
    expect(h.result.mode).toBe('form_post');
    const front = await verifyIdToken(h.params.get('id_token')!);
    expect(front.c_hash).toBe(halfHash(h.params.get('code')!, 'ES256'));
    expect(front.at_hash).toBe(halfHash(h.params.get('access_token')!, 'ES256'));
    expectTokens(await redeem(h));
  });

  it('replaying the code revokes the access token issued with it at the authorization endpoint', async () => {
    const h = await hybrid('code id_token token');
    const accessToken = h.params.get('access_token')!;
    expect((await userinfo(ts, accessToken)).status).toBe(200);
    expectTokens(await redeem(h));
    expectTokenError(await redeem(h), 400, 'invalid_grant');
    const after = await userinfo(ts, accessToken);
    expect(after.status).toBe(401);
  });
});

describe('hybrid flow: refusals', () => {
  async function refused(c: TestClient, params: Record<string, string>): Promise<URLSearchParams> {
    const url = authorizeUrl(ts, { client_id: c.clientId, redirect_uri: c.redirectUri, scope: 'openid', state: 'st', ...params });
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: c.redirectUri });
    if (result.mode !== 'redirect') throw new Error('expected an error redirect');
    for (const name of ['code', 'id_token', 'access_token']) expect(result.params.has(name), name).toBe(false);
    expect(result.params.get('state')).toBe('st');
    return result.params;
  }

  it('code id_token and code id_token token without nonce: invalid_request', async () => {
    for (const responseType of ['code id_token', 'code id_token token']) {
      const params = await refused(hybridClient, { response_type: responseType });
      expect(params.get('error'), responseType).toBe('invalid_request');
      expect(params.get('error_description')).toMatch(/nonce/);
    }
  });

  it('response_mode=query: invalid_request', async () => {
    const params = await refused(hybridClient, { response_type: 'code id_token', response_mode: 'query', nonce: random() });
    expect(params.get('error')).toBe('invalid_request');
  });

  it('a client registered for code only: unauthorized_client', async () => {
    for (const responseType of ['code id_token', 'code token', 'code id_token token']) {
      const params = await refused(codeOnlyClient, { response_type: responseType, nonce: random() });
      expect(params.get('error'), responseType).toBe('unauthorized_client');
    }
  });
});
