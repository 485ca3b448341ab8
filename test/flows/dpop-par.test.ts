/**
 * DPoP at the PAR endpoint (RFC 9449 §10.1) over real HTTP with oauth4webapi: a proof sent with the pushed request
 * binds the code to its key, like dpop_jkt; the code is then redeemed only with a proof of that key, and a pushed
 * request whose dpop_jkt names another key than its proof is refused.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { proof, proofKey } from '../helpers/dpop.js';
import { authorizeUrl, expectTokenError, postForm } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

let ts: TestServer;
let user: TestUser;
let web: TestClient;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  web = await ts.client({ kind: 'web' });
  const issuer = new URL(ts.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});

afterAll(async () => {
  await ts?.close();
});

async function pushWith(DPoP: oauth.DPoPHandle, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const response = await oauth.pushedAuthorizationRequest(
    as,
    { client_id: web.clientId },
    oauth.ClientSecretBasic(web.clientSecret!),
    { response_type: 'code', redirect_uri: web.redirectUri, scope: 'openid', state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra },
    { ...insecure, DPoP },
  );
  return { response, verifier, state };
}

describe('a DPoP proof at /par', () => {
  it('binds the code to its key: another key cannot redeem it, the pushed key can, and gets a DPoP token', async () => {
    const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const { response, verifier, state } = await pushWith(DPoP);
    expect(response.status).toBe(201);
    const { request_uri } = await oauth.processPushedAuthorizationResponse(as, { client_id: web.clientId }, response);
    const result = await new Browser().authorize(authorizeUrl(ts, { client_id: web.clientId, request_uri }), {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const params = oauth.validateAuthResponse(as, { client_id: web.clientId }, result.callback, state);
    const code = params.get('code')!;

    // Another key's proof: the code is bound to the pushed key (RFC 9449 §10), and stays redeemable.
    const other = await proofKey();
    const refused = await postForm(`${ts.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: web.redirectUri, code_verifier: verifier }, web, {
      dpop: await proof(other, { htu: `${ts.issuer}/token` }),
    });
    expectTokenError(refused, 400, 'invalid_grant');

    const answer = await oauth.authorizationCodeGrantRequest(as, { client_id: web.clientId }, oauth.ClientSecretBasic(web.clientSecret!), params, web.redirectUri, verifier, { ...insecure, DPoP });
    const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: web.clientId }, answer, { requireIdToken: true });
    expect(tokens.token_type).toBe('dpop');
  });

  it('refuses a pushed request whose dpop_jkt names another key than its proof (invalid_dpop_proof)', async () => {
    const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const other = await proofKey();
    const { response } = await pushWith(DPoP, { dpop_jkt: other.jkt });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('refuses a proof made for another endpoint (htu of /token)', async () => {
    const key = await proofKey();
    const res = await postForm(`${ts.issuer}/par`, { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }, web, {
      dpop: await proof(key, { htu: `${ts.issuer}/token` }),
    });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toBe('invalid_dpop_proof');
  });
});
