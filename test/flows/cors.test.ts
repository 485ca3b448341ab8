/**
 * CORS: discovery and the JWKS are readable from anywhere; the token-bearing endpoints only from an origin of a
 * public client, and a successful answer only from the calling client's own origins; pages never.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { authorizeUrl, expectTokens, getJson, obtainCode, tokenRequest, type HttpResult } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const SPA_ORIGIN = 'https://spa-cors.example.test';
const EXTRA_ORIGIN = 'https://console-cors.example.test';
const OTHER_SPA_ORIGIN = 'https://other-spa-cors.example.test';
const FOREIGN = 'https://evil.example.test';

let ts: TestServer;
let user: TestUser;
let spa: TestClient;
let otherSpa: TestClient;
let web: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  spa = await ts.client({ kind: 'spa', redirectUris: [`${SPA_ORIGIN}/callback`], allowedCorsOrigins: [EXTRA_ORIGIN] });
  otherSpa = await ts.client({ kind: 'spa', redirectUris: [`${OTHER_SPA_ORIGIN}/callback`] });
  web = await ts.client({ kind: 'web', redirectUris: ['https://web-cors.example.test/callback'] });
});

afterAll(async () => {
  await ts?.close();
});

function preflight(path: string, origin: string, method = 'POST'): Promise<Response> {
  return fetch(`${ts.issuer}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type, authorization' },
  });
}

async function redeem(c: TestClient, origin: string): Promise<HttpResult> {
  const code = await obtainCode(ts, new Browser(), c, user, { scope: 'openid' });
  return tokenRequest(ts, { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! }, c, { origin });
}

describe('preflight', () => {
  it('/authorize (a page) gets no CORS at all', async () => {
    const res = await preflight('/authorize', SPA_ORIGIN, 'GET');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    for (const path of ['/interaction/x', '/logout', '/device', '/introspect']) {
      expect((await preflight(path, SPA_ORIGIN)).headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });

  it('/token: a registered public client origin is echoed, never *, with Vary: Origin; a foreign one gets nothing', async () => {
    for (const origin of [SPA_ORIGIN, EXTRA_ORIGIN, OTHER_SPA_ORIGIN]) {
      const res = await preflight('/token', origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(res.headers.get('access-control-allow-methods'), origin).toContain('POST');
      expect(res.headers.get('access-control-allow-headers'), origin).toMatch(/content-type/i);
      expect(res.headers.get('vary'), origin).toMatch(/origin/i);
    }
    for (const origin of [FOREIGN, 'https://web-cors.example.test', 'null']) {
      const res = await preflight('/token', origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('vary'), origin).toMatch(/origin/i);
    }
  });

  it('discovery and the JWKS keep *', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      expect((await preflight(path, FOREIGN, 'GET')).headers.get('access-control-allow-origin'), path).toBe('*');
      const res = await getJson(`${ts.issuer}${path}`, { origin: FOREIGN });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
    }
  });
});

describe('actual answers', () => {
  it('/token from the SPA\'s origin: that origin echoed, WWW-Authenticate and DPoP-Nonce exposed', async () => {
    for (const origin of [SPA_ORIGIN, EXTRA_ORIGIN]) {
      const res = await redeem(spa, origin);
      expectTokens(res);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(res.headers.get('access-control-expose-headers'), origin).toMatch(/WWW-Authenticate/);
      expect(res.headers.get('access-control-expose-headers'), origin).toMatch(/DPoP-Nonce/);
      expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(res.headers.get('vary'), origin).toMatch(/origin/i);
    }
  });

  it('/token from a foreign origin, or from another client\'s origin: no Access-Control-Allow-Origin', async () => {
    for (const origin of [FOREIGN, OTHER_SPA_ORIGIN]) {
      const res = await redeem(spa, origin);
      expectTokens(res);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('a confidential client gets no CORS, even from its redirect URI\'s origin', async () => {
    const res = await redeem(web, 'https://web-cors.example.test');
    expectTokens(res);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an error is readable by a registered origin (so the app sees why), never by a foreign one', async () => {
    const body = { grant_type: 'authorization_code', code: 'nope', redirect_uri: `${SPA_ORIGIN}/callback`, code_verifier: 'x'.repeat(43) };
    const mine = await tokenRequest(ts, body, spa, { origin: OTHER_SPA_ORIGIN });
    expect(mine.status).toBe(400);
    expect(mine.headers.get('access-control-allow-origin')).toBe(OTHER_SPA_ORIGIN);
    const foreign = await tokenRequest(ts, body, spa, { origin: FOREIGN });
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/userinfo answers the origin of the access token\'s client only', async () => {
    const tokens = expectTokens(await redeem(spa, SPA_ORIGIN));
    const call = (origin: string) => getJson(`${ts.issuer}/userinfo`, { origin, authorization: `Bearer ${tokens.access_token}` });
    const own = await call(SPA_ORIGIN);
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect((await call(OTHER_SPA_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await call(FOREIGN)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('pages and /introspect never carry CORS headers', async () => {
    const authorize = await fetch(authorizeUrl(ts, { response_type: 'code', client_id: spa.clientId, redirect_uri: `${SPA_ORIGIN}/callback`, scope: 'openid' }), {
      headers: { origin: SPA_ORIGIN },
      redirect: 'manual',
    });
    expect(authorize.headers.get('access-control-allow-origin')).toBeNull();
    const res = await fetch(`${ts.issuer}/introspect`, { method: 'POST', headers: { origin: SPA_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
