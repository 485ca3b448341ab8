/**
 * JWT Secured Authorization Response Mode (JARM) over real HTTP, validated by oauth4webapi: query.jwt, jwt (the
 * response type's default), fragment.jwt and form_post.jwt, success and error, and what is refused.
 */
import * as oauth from 'oauth4webapi';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, responseParams } from '../helpers/browser.js';
import { authorizeFrontChannel } from '../helpers/front-channel.js';
import { authorizeUrl, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

let ts: TestServer;
let user: TestUser;
let as: oauth.AuthorizationServer;
let web: TestClient;
let rp: oauth.Client;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  const issuer = new URL(ts.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  web = await ts.client({ kind: 'web' });
  rp = { client_id: web.clientId };
});

afterAll(async () => {
  await ts?.close();
});

async function codeUrl(mode: string, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = authorizeUrl(ts, {
    response_type: 'code',
    client_id: web.clientId,
    redirect_uri: web.redirectUri,
    scope: 'openid email',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    response_mode: mode,
    ...extra,
  });
  return { url, verifier, state };
}

async function redeem(params: URLSearchParams, verifier: string) {
  const response = await oauth.authorizationCodeGrantRequest(as, rp, oauth.ClientSecretBasic(web.clientSecret!), params, web.redirectUri, verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, rp, response, { requireIdToken: true });
}

describe('JARM', () => {
  it('is advertised', () => {
    expect(as.response_modes_supported).toEqual(expect.arrayContaining(['jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt']));
    expect(as.authorization_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
  });

  for (const mode of ['query.jwt', 'jwt']) {
    it(`${mode}: one signed response parameter in the query, validated and redeemed by oauth4webapi`, async () => {
      const { url, verifier, state } = await codeUrl(mode);
      const result = await new Browser().authorize(url, { stopAt: web.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
      expect([...result.callback.searchParams.keys()]).toEqual(['response']);
      const jwt = result.callback.searchParams.get('response')!;
      expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
      const claims = decodeJwt(jwt);
      expect(claims).toMatchObject({ iss: ts.issuer, aud: web.clientId, state });
      expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(500);
      const params = await oauth.validateJwtAuthResponse(as, rp, result.callback, state, insecure);
      const tokens = await redeem(params, verifier);
      expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(user.sub);
    });
  }

  it('fragment.jwt: the response JWT in the fragment', async () => {
    const { url, verifier, state } = await codeUrl('fragment.jwt');
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: web.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
    if (result.mode !== 'redirect') throw new Error('expected a redirect');
    expect(result.callback.search).toBe('');
    const params = await oauth.validateJwtAuthResponse(as, rp, new URLSearchParams(result.callback.hash.slice(1)), state, insecure);
    expect((await redeem(params, verifier)).access_token).toBeTruthy();
  });

  it('form_post.jwt: the response JWT posted by the form', async () => {
    const { url, verifier, state } = await codeUrl('form_post.jwt');
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: web.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
    if (result.mode !== 'form_post') throw new Error('expected a form_post page');
    expect([...result.params.keys()]).toEqual(['response']);
    const params = await oauth.validateJwtAuthResponse(as, rp, result.params, state, insecure);
    expect((await redeem(params, verifier)).access_token).toBeTruthy();
  });

  it('errors travel signed too (prompt=none without a session: login_required)', async () => {
    const { url, state } = await codeUrl('query.jwt', { prompt: 'none' });
    const page = await new Browser().request(url);
    expect(page.status).toBe(303);
    expect([...page.location!.searchParams.keys()]).toEqual(['response']);
    const err = await oauth.validateJwtAuthResponse(as, rp, page.location!, state, insecure).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((err as oauth.AuthorizationResponseError).error).toBe('login_required');
  });

  it('refuses query.jwt with a response type that returns tokens (JARM §2.3.1, no encryption)', async () => {
    const implicit = await ts.client({ kind: 'spa', grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code', 'id_token token'] });
    const url = authorizeUrl(ts, {
      response_type: 'id_token token',
      client_id: implicit.clientId,
      redirect_uri: implicit.redirectUri,
      scope: 'openid',
      nonce: random(),
      state: 'st',
      response_mode: 'query.jwt',
    });
    const page = await new Browser().request(url);
    expect(page.status).toBe(303);
    // The error itself goes back as a JWT in the query (the mode asked for); it carries no token.
    const claims = decodeJwt(page.location!.searchParams.get('response')!);
    expect(claims).toMatchObject({ error: 'invalid_request', state: 'st', aud: implicit.clientId });
    expect(responseParams(page.location!).has('access_token')).toBe(false);
  });

  it('refuses an unknown response mode', async () => {
    const { url } = await codeUrl('pigeon.jwt');
    const page = await new Browser().request(url);
    expect(page.status).toBe(303);
    expect(responseParams(page.location!).get('error')).toBe('invalid_request');
  });
});
