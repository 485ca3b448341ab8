/**
 * DPoP (RFC 9449) at /token and /userinfo, with oauth4webapi as the relying party: a public client's code flow and
 * refresh, client credentials, and every refusal a proof or a bound token can earn.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { Browser } from '../helpers/browser.js';
import { proof, proofKey, type ProofKey, unsignedProof } from '../helpers/dpop.js';
import { expectTokenError, FULL_SCOPE, getJson, introspect, obtainCode, postForm, type HttpResult } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const PHOTOS = 'https://photos.dpop.example';

let ts: TestServer;
let user: TestUser;
let spa: TestClient;
let m2m: TestClient;
let introspector: TestClient;
let as: oauth.AuthorizationServer;
let tokenUrl: string;
let userinfoUrl: string;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  spa = await ts.client({ kind: 'spa', grantTypes: ['authorization_code', 'refresh_token'] });
  m2m = await ts.client({ kind: 'm2m', scopes: ['read:photos'] });
  introspector = await ts.client({ kind: 'm2m' });
  await createApi(ts.latch.store, { identifier: PHOTOS, scopes: ['read:photos'], introspectionClients: [introspector.clientId] });
  as = await oauth.processDiscoveryResponse(new URL(ts.issuer), await oauth.discoveryRequest(new URL(ts.issuer), insecure));
  tokenUrl = `${ts.issuer}/token`;
  userinfoUrl = `${ts.issuer}/userinfo`;
});

afterAll(async () => {
  await ts?.close();
});

/** A DPoP handle of oauth4webapi for a fresh ES256 key. */
async function dpopHandle(client: oauth.Client) {
  return oauth.DPoP(client, await generateKeyPair('ES256'));
}

const tokenWithProof = (body: Record<string, string>, client: TestClient, dpop?: string) =>
  postForm(tokenUrl, body, { clientId: client.clientId, ...(client.clientSecret !== undefined && { clientSecret: client.clientSecret }) }, dpop === undefined ? {} : { dpop });

const userinfoWith = (authorization: string, dpop?: string): Promise<HttpResult> => getJson(userinfoUrl, { authorization, ...(dpop !== undefined && { dpop }) });

/** RFC 9449 §7.1: a 401 with a DPoP challenge naming the error and the accepted algorithms. */
function expectDpopChallenge(res: HttpResult, error: string): void {
  expect(res.status, res.text).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^DPoP /);
  expect(challenge).toContain(`error="${error}"`);
  expect(challenge).toMatch(/algs="[^"]*ES256[^"]*"/);
}

describe('discovery', () => {
  it('advertises the DPoP proof algorithms (asymmetric only)', () => {
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256', 'EdDSA']));
    expect(as.dpop_signing_alg_values_supported?.some((alg) => alg.startsWith('HS') || alg === 'none')).toBe(false);
  });
});

describe('code flow and refresh of a public client, oauth4webapi with DPoP', () => {
  const browser = new Browser();
  const rp: oauth.Client = { client_id: '' };
  let DPoP: oauth.DPoPHandle;
  let tokens: oauth.TokenEndpointResponse;

  it('binds the code with dpop_jkt, and gets DPoP tokens for the same key', async () => {
    rp.client_id = spa.clientId;
    DPoP = await dpopHandle(rp);
    const verifier = oauth.generateRandomCodeVerifier();
    const code = await obtainCode(ts, browser, spa, user, { pkce: false, extra: { dpop_jkt: await DPoP.calculateThumbprint(), code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } });
    const params = oauth.validateAuthResponse(as, rp, code.callback, code.state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, oauth.None(), params, spa.redirectUri, verifier, { DPoP, ...insecure });
    tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: code.nonce });
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('answers /userinfo to the DPoP token with a proof of its key', async () => {
    const response = await oauth.userInfoRequest(as, rp, tokens.access_token, { DPoP, ...insecure });
    const info = await oauth.processUserInfoResponse(as, rp, user.sub, response);
    expect(info.email).toBe(user.email);
  });

  it('refuses the DPoP-bound token used as a Bearer token (RFC 9449 §7.2)', async () => {
    expectDpopChallenge(await userinfoWith(`Bearer ${tokens.access_token}`), 'invalid_token');
  });

  it('refuses a proof whose ath is for another token, and one of another key', async () => {
    const other = await proofKey();
    const htu = userinfoUrl;
    expectDpopChallenge(await userinfoWith(`DPoP ${tokens.access_token}`, await proof(other, { htm: 'GET', htu, accessToken: 'another-token' })), 'invalid_dpop_proof');
    expectDpopChallenge(await userinfoWith(`DPoP ${tokens.access_token}`, await proof(other, { htm: 'GET', htu, accessToken: tokens.access_token })), 'invalid_dpop_proof');
    expectDpopChallenge(await userinfoWith(`DPoP ${tokens.access_token}`), 'invalid_dpop_proof');
  });

  it('refuses a refresh without a proof, or with another key, and rotates nothing', async () => {
    const without = await tokenWithProof({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, spa);
    expectTokenError(without, 400, 'invalid_dpop_proof');
    const other = await proofKey();
    const wrongKey = await tokenWithProof({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, spa, await proof(other, { htu: tokenUrl }));
    expectTokenError(wrongKey, 400, 'invalid_grant');
  });

  it('refreshes with the same key: a new DPoP token, the refresh token still bound', async () => {
    const response = await oauth.refreshTokenGrantRequest(as, rp, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure });
    const refreshed = await oauth.processRefreshTokenResponse(as, rp, response);
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const other = await proofKey();
    const wrongKey = await tokenWithProof({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! }, spa, await proof(other, { htu: tokenUrl }));
    expectTokenError(wrongKey, 400, 'invalid_grant');
    const info = await oauth.processUserInfoResponse(as, rp, user.sub, await oauth.userInfoRequest(as, rp, refreshed.access_token, { DPoP, ...insecure }));
    expect(info.sub).toBe(user.sub);
  });

  it('refuses a code bound with dpop_jkt (RFC 9449 §10) redeemed with another key or without a proof; the right key still redeems it', async () => {
    const key = await proofKey();
    const code = await obtainCode(ts, browser, spa, user, { extra: { dpop_jkt: key.jkt } });
    const body = { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! };
    expectTokenError(await tokenWithProof(body, spa, await proof(await proofKey(), { htu: tokenUrl })), 400, 'invalid_grant');
    expectTokenError(await tokenWithProof(body, spa), 400, 'invalid_dpop_proof');
    const res = await tokenWithProof(body, spa, await proof(key, { htu: tokenUrl }));
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
  });

  it('refuses a malformed dpop_jkt at /authorize', async () => {
    const url = new URL(`${ts.issuer}/authorize`);
    const params = { response_type: 'code', client_id: spa.clientId, redirect_uri: spa.redirectUri, scope: FULL_SCOPE, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', dpop_jkt: 'short', state: 's' };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? 'http://x/');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/dpop_jkt/);
  });
});

describe('a confidential client (RFC 9449 §5)', () => {
  it('gets DPoP access tokens, but its refresh token stays bound to the client, not the key', async () => {
    const web = await ts.client({ kind: 'web', grantTypes: ['authorization_code', 'refresh_token'] });
    const code = await obtainCode(ts, new Browser(), web, user);
    const key = await proofKey();
    const issued = await tokenWithProof({ grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! }, web, await proof(key, { htu: tokenUrl }));
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body.token_type).toBe('DPoP');
    const other = await proofKey();
    const refreshed = await tokenWithProof({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token }, web, await proof(other, { htu: tokenUrl }));
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.token_type).toBe('DPoP');
    const bearer = await tokenWithProof({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token }, web);
    expect(bearer.status, bearer.text).toBe(200);
    expect(bearer.body.token_type).toBe('Bearer');
  });
});

describe('refused proofs at /token leave the code redeemable', () => {
  const browser = new Browser();
  let key: ProofKey;
  let body: Record<string, string>;

  beforeAll(async () => {
    key = await proofKey();
    const code = await obtainCode(ts, browser, spa, user);
    body = { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! };
  });

  const refusedWith = async (dpop: string, description: RegExp) => {
    const res = await tokenWithProof(body, spa, dpop);
    expectTokenError(res, 400, 'invalid_dpop_proof');
    expect(res.body.error_description).toMatch(description);
  };

  it('a proof for another URL, or another method', async () => {
    await refusedWith(await proof(key, { htu: userinfoUrl }), /not for/);
    await refusedWith(await proof(key, { htu: tokenUrl, htm: 'GET' }), /GET/);
  });

  it('an expired iat', async () => {
    await refusedWith(await proof(key, { htu: tokenUrl, iat: Math.floor(Date.now() / 1000) - 3600 }), /iat/);
  });

  it('a private key in jwk', async () => {
    await refusedWith(await proof(key, { htu: tokenUrl, jwk: key.privateJwk }), /private/);
  });

  it('alg none and HS256', async () => {
    const claims = { jti: 'j1', htm: 'POST', htu: tokenUrl, iat: Math.floor(Date.now() / 1000) };
    await refusedWith(unsignedProof({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }, claims), /well-formed|alg/);
    const hs = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk }).sign(randomBytes(32));
    await refusedWith(hs, /alg/);
  });

  it('two DPoP headers, or a malformed one', async () => {
    const one = await proof(key, { htu: tokenUrl });
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    headers.append('dpop', one);
    headers.append('dpop', await proof(key, { htu: tokenUrl }));
    const res = await fetch(tokenUrl, { method: 'POST', headers, body: new URLSearchParams({ ...body, client_id: spa.clientId }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    await refusedWith('not.a-jwt', /well-formed/);
  });

  it('a replayed proof: the first use redeems the code, the replay is refused', async () => {
    const once = await proof(key, { htu: tokenUrl });
    const first = await tokenWithProof(body, spa, once);
    expect(first.status, first.text).toBe(200);
    expect(first.body.token_type).toBe('DPoP');
    const browser2 = new Browser();
    const code = await obtainCode(ts, browser2, spa, user);
    const again = await tokenWithProof({ grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! }, spa, once);
    expectTokenError(again, 400, 'invalid_dpop_proof');
    expect(again.body.error_description).toMatch(/already used/);
  });
});

describe('client credentials with DPoP, oauth4webapi', () => {
  it('issues a DPoP-bound JWT access token with cnf.jkt, introspected as DPoP', async () => {
    const rp: oauth.Client = { client_id: m2m.clientId };
    const DPoP = await dpopHandle(rp);
    const response = await oauth.clientCredentialsGrantRequest(as, rp, oauth.ClientSecretBasic(m2m.clientSecret!), new URLSearchParams({ resource: PHOTOS, scope: 'read:photos' }), { DPoP, ...insecure });
    const tokens = await oauth.processClientCredentialsResponse(as, rp, response);
    expect(tokens.token_type).toBe('dpop');
    const jkt = await DPoP.calculateThumbprint();
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    const info = await introspect(ts, tokens.access_token, { clientId: introspector.clientId, clientSecret: introspector.clientSecret! });
    expect(info.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
  });

  it('issues a Bearer token without a proof, which /userinfo refuses with the DPoP scheme', async () => {
    const res = await tokenWithProof({ grant_type: 'client_credentials', scope: 'read:photos' }, m2m);
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    const key = await proofKey();
    const used = await userinfoWith(`DPoP ${res.body.access_token}`, await proof(key, { htm: 'GET', htu: userinfoUrl, accessToken: res.body.access_token }));
    expectDpopChallenge(used, 'invalid_token');
    // RFC 9449 §7.1: a DPoP request for an unknown token is answered with a DPoP challenge too.
    const unknown = 'unknown-token-value';
    expectDpopChallenge(await userinfoWith(`DPoP ${unknown}`, await proof(key, { htm: 'GET', htu: userinfoUrl, accessToken: unknown })), 'invalid_token');
  });

  it('refuses a token request without a proof from a client registered with dpop_bound_access_tokens', async () => {
    const bound = await ts.client({ kind: 'm2m', scopes: ['read:photos'] });
    const record = (await ts.latch.store.clients.find(bound.clientId))!;
    await ts.latch.store.clients.update(bound.clientId, { metadata: { ...record.metadata, dpop_bound_access_tokens: true } });
    expectTokenError(await tokenWithProof({ grant_type: 'client_credentials', scope: 'read:photos' }, bound), 400, 'invalid_dpop_proof');
    const key = await proofKey();
    const ok = await tokenWithProof({ grant_type: 'client_credentials', scope: 'read:photos' }, bound, await proof(key, { htu: tokenUrl }));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
  });
});
