/**
 * DPoP server nonces (RFC 9449 §8, §9) with LATCH_DPOP_NONCE: oauth4webapi retries with the nonce it is given; the
 * nonces are stateless, so another instance with the same secret accepts them.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proof, proofKey } from '../helpers/dpop.js';
import { expectTokenError, getJson, postForm } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const secret = randomBytes(32).toString('base64url');

let one: TestServer;
let two: TestServer;
let m2m: TestClient;
let m2mOnTwo: TestClient;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestServer({ dpopNonce: true, secret }), startTestServer({ dpopNonce: true, secret })]);
  m2m = await one.client({ kind: 'm2m', scopes: ['read:photos'] });
  m2mOnTwo = await two.client({ kind: 'm2m', scopes: ['read:photos'] });
});

afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

const basic = (c: TestClient) => ({ clientId: c.clientId, clientSecret: c.clientSecret! });

describe('DPoP nonces', () => {
  it('oauth4webapi is told use_dpop_nonce, retries with the DPoP-Nonce it got, and gets a DPoP token and a next nonce', async () => {
    const as = await oauth.processDiscoveryResponse(new URL(one.issuer), await oauth.discoveryRequest(new URL(one.issuer), insecure));
    const rp: oauth.Client = { client_id: m2m.clientId };
    const DPoP = oauth.DPoP(rp, await generateKeyPair('ES256'));
    const auth = oauth.ClientSecretBasic(m2m.clientSecret!);
    const request = () => oauth.clientCredentialsGrantRequest(as, rp, auth, new URLSearchParams({ scope: 'read:photos' }), { DPoP, ...insecure });
    let nonceErrors = 0;
    let tokens: oauth.TokenEndpointResponse | undefined;
    for (let attempt = 0; attempt < 2 && !tokens; attempt++) {
      try {
        tokens = await oauth.processClientCredentialsResponse(as, rp, await request());
      } catch (err) {
        if (!oauth.isDPoPNonceError(err)) throw err;
        nonceErrors += 1;
      }
    }
    expect(nonceErrors).toBe(1);
    expect(tokens?.token_type).toBe('dpop');
  });

  it('answers a proof without a nonce at /token with 400 use_dpop_nonce and a DPoP-Nonce header', async () => {
    const key = await proofKey();
    const res = await postForm(`${one.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2m), { dpop: await proof(key, { htu: `${one.issuer}/token` }) });
    expectTokenError(res, 400, 'use_dpop_nonce');
    expect(res.headers.get('dpop-nonce')).toBeTruthy();
    // Asking for a nonce is how DPoP starts with nonces on, not a failure for the audit trail; a bad proof is one.
    const bad = await postForm(`${one.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2m), { dpop: await proof(key, { htu: `${one.issuer}/userinfo` }) });
    expectTokenError(bad, 400, 'invalid_dpop_proof');
    const failed = (await one.latch.store.events.page({ type: 'token.failed', clientId: m2m.clientId }, { limit: 100 })).items.map((e) => e.data.error);
    expect(failed).toContain('invalid_dpop_proof');
    expect(failed).not.toContain('use_dpop_nonce');
  });

  it('refuses a made-up nonce, and accepts at instance two the nonce instance one handed out', async () => {
    const key = await proofKey();
    const first = await postForm(`${one.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2m), { dpop: await proof(key, { htu: `${one.issuer}/token` }) });
    const nonce = first.headers.get('dpop-nonce')!;
    const madeUp = await postForm(`${two.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2mOnTwo), {
      dpop: await proof(key, { htu: `${two.issuer}/token`, nonce: randomBytes(32).toString('base64url') }),
    });
    expectTokenError(madeUp, 400, 'use_dpop_nonce');
    const res = await postForm(`${two.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2mOnTwo), { dpop: await proof(key, { htu: `${two.issuer}/token`, nonce }) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(res.headers.get('dpop-nonce')).toBeTruthy();
  });

  it('asks for a nonce at /userinfo with 401 WWW-Authenticate: DPoP error="use_dpop_nonce"', async () => {
    const key = await proofKey();
    const first = await postForm(`${one.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2m), { dpop: await proof(key, { htu: `${one.issuer}/token` }) });
    const nonce = first.headers.get('dpop-nonce')!;
    const issued = await postForm(`${one.issuer}/token`, { grant_type: 'client_credentials', scope: 'read:photos' }, basic(m2m), { dpop: await proof(key, { htu: `${one.issuer}/token`, nonce }) });
    expect(issued.status, issued.text).toBe(200);
    const token = issued.body.access_token as string;
    const res = await getJson(`${one.issuer}/userinfo`, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: `${one.issuer}/userinfo`, accessToken: token }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    const fresh = res.headers.get('dpop-nonce')!;
    const again = await getJson(`${one.issuer}/userinfo`, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: `${one.issuer}/userinfo`, accessToken: token, nonce: fresh }) });
    // Past the nonce, the token itself answers: a client credentials token has no person (403 insufficient_scope).
    expect(again.status, again.text).toBe(403);
    expect(again.body.error).toBe('insufficient_scope');
  });
});
