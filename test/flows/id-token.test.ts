/**
 * ID token contents and signature (OIDC Core §2, §3.1.3.6, §3.1.3.7) and the UserInfo endpoint (§5.3).
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { obtainTokens, postForm, userinfo } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let rsClient: TestClient;
let esClient: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user({
    name: 'Katherine Johnson',
    profile: { given_name: 'Katherine', family_name: 'Johnson', locale: 'en-US', preferred_username: 'kj' },
  });
  rsClient = await ts.client({ kind: 'web' });
  esClient = await ts.client({ kind: 'web', idTokenSignedResponseAlg: 'ES256' });
});

afterAll(async () => {
  await ts?.close();
});

function atHash(accessToken: string, alg: string): string {
  const bits = alg.endsWith('512') ? 'sha512' : alg.endsWith('384') ? 'sha384' : 'sha256';
  const digest = createHash(bits).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

describe('ID token', () => {
  it('is RS256 by default, verifies against /jwks and carries the required claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { code, tokens } = await obtainTokens(ts, new Browser(), rsClient, user, { scope: 'openid profile email' });
    const idToken: string = tokens.id_token;
    expect(typeof idToken).toBe('string');

    const header = decodeProtectedHeader(idToken);
    expect(header.alg).toBe('RS256');
    expect(typeof header.kid).toBe('string');

    const jwks = createRemoteJWKSet(new URL(`${ts.issuer}/jwks`));
    const { payload } = await jwtVerify(idToken, jwks, { issuer: ts.issuer, audience: rsClient.clientId, algorithms: ['RS256'] });
    expect(payload.iss).toBe(ts.issuer);
    expect(payload.sub).toBe(user.sub);
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    expect(aud).toContain(rsClient.clientId);
    expect(payload.azp).toBe(rsClient.clientId);
    expect(payload.nonce).toBe(code.nonce);
    expect(typeof payload.iat).toBe('number');
    expect(payload.iat!).toBeGreaterThanOrEqual(before - 5);
    expect(payload.iat!).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    expect(payload.exp!).toBeGreaterThan(payload.iat!);
    expect(typeof payload.auth_time).toBe('number');
    expect(payload.auth_time as number).toBeGreaterThanOrEqual(before - 5);
    expect(payload.auth_time as number).toBeLessThanOrEqual(payload.iat!);
    expect(payload.at_hash).toBe(atHash(tokens.access_token, 'RS256'));
    expect(typeof payload.sid).toBe('string');
    expect((payload.sid as string).length).toBeGreaterThan(0);
    // RFC 8176 / OIDC Core §2: a password sign-in, one factor.
    expect(payload.amr).toEqual(['pwd']);
    expect(payload.acr).toBe('urn:latch:acr:pwd');
  });

  it('is ES256 for a client registered with id_token_signed_response_alg ES256', async () => {
    const { code, tokens } = await obtainTokens(ts, new Browser(), esClient, user, { scope: 'openid' });
    const header = decodeProtectedHeader(tokens.id_token);
    expect(header.alg).toBe('ES256');
    const jwks = createRemoteJWKSet(new URL(`${ts.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: ts.issuer, audience: esClient.clientId, algorithms: ['ES256'] });
    expect(payload.sub).toBe(user.sub);
    expect(payload.nonce).toBe(code.nonce);
    expect(payload.at_hash).toBe(atHash(tokens.access_token, 'ES256'));
  });

  it('keeps the same sid and auth_time for a second login in the same browser session', async () => {
    const browser = new Browser();
    const first = await obtainTokens(ts, browser, rsClient, user, { scope: 'openid' });
    const second = await obtainTokens(ts, browser, rsClient, user, { scope: 'openid' });
    expect(second.code.sawLogin).toBe(false);
    const a = decodeJwt(first.tokens.id_token);
    const b = decodeJwt(second.tokens.id_token);
    expect(b.sid).toBe(a.sid);
    expect(b.auth_time).toBe(a.auth_time);
    expect(b.nonce).toBe(second.code.nonce);
  });

  it('has no nonce when the request had none', async () => {
    const browser = new Browser();
    const { tokens } = await obtainTokens(ts, browser, rsClient, user, { scope: 'openid', nonce: '' });
    expect(decodeJwt(tokens.id_token)).not.toHaveProperty('nonce');
  });
});

describe('UserInfo', () => {
  let full: { access_token: string };
  let openidOnly: { access_token: string };

  beforeAll(async () => {
    const browser = new Browser();
    full = (await obtainTokens(ts, browser, rsClient, user, { scope: 'openid profile email' })).tokens;
    openidOnly = (await obtainTokens(ts, browser, rsClient, user, { scope: 'openid' })).tokens;
  });

  it('returns the profile and email claims for those scopes (GET)', async () => {
    const res = await userinfo(ts, full.access_token, 'GET');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      sub: user.sub,
      email: user.email,
      email_verified: true,
      name: 'Katherine Johnson',
      given_name: 'Katherine',
      family_name: 'Johnson',
      locale: 'en-US',
      preferred_username: 'kj',
    });
  });

  it('answers POST with the bearer token in the Authorization header too', async () => {
    const res = await userinfo(ts, full.access_token, 'POST');
    expect(res.status, res.text).toBe(200);
    expect(res.body.sub).toBe(user.sub);
    expect(res.body.email).toBe(user.email);
  });

  it('accepts the access token as a form body parameter on POST (RFC 6750 §2.2)', async () => {
    const res = await postForm(`${ts.issuer}/userinfo`, { access_token: full.access_token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.sub).toBe(user.sub);
  });

  it('refuses a token sent by more than one method with 400 invalid_request (RFC 6750 §2)', async () => {
    const token = full.access_token as string;
    const url = `${ts.issuer}/userinfo`;
    const header = { authorization: `Bearer ${token}` };
    const attempts: Array<[string, Promise<Response>]> = [
      ['header + query', fetch(`${url}?access_token=${token}`, { headers: header })],
      ['header + body', fetch(url, { method: 'POST', headers: { ...header, 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` })],
      ['body + query', fetch(`${url}?access_token=${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` })],
      ['query alone', fetch(`${url}?access_token=${token}`)],
    ];
    for (const [name, pending] of attempts) {
      const res = await pending;
      const body = (await res.json()) as { error?: string };
      expect(res.status, name).toBe(400);
      expect(body.error, name).toBe('invalid_request');
      expect(res.headers.get('www-authenticate') ?? '', name).toMatch(/^Bearer .*error="invalid_request"/);
    }
  });

  it('returns only sub for scope openid', async () => {
    const res = await userinfo(ts, openidOnly.access_token);
    expect(res.status, res.text).toBe(200);
    expect(res.body.sub).toBe(user.sub);
    expect(res.body).not.toHaveProperty('email');
    expect(res.body).not.toHaveProperty('name');
    expect(res.body).not.toHaveProperty('given_name');
  });

  it('refuses a bad token with 401 and WWW-Authenticate: Bearer error="invalid_token"', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await userinfo(ts, 'not-a-real-token', method);
      expect(res.status, res.text).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).toMatch(/error="invalid_token"/);
    }
  });

  it('refuses a request without a token with 401 and a Bearer challenge', async () => {
    const res = await fetch(`${ts.issuer}/userinfo`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b/);
  });

  it('refuses an ID token used as an access token', async () => {
    const { tokens } = await obtainTokens(ts, new Browser(), rsClient, user, { scope: 'openid' });
    const res = await userinfo(ts, tokens.id_token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate') ?? '').toMatch(/error="invalid_token"/);
  });
});
