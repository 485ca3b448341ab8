/**
 * The implicit flow (OIDC Core §3.2) with the fragment and form_post (OAuth 2.0 Form Post Response Mode)
 * response modes, for clients explicitly registered for it.
 */
import { request } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfHash } from '../../src/core/tokens/half-hash.js';
import { Browser } from '../helpers/browser.js';
import { authorizeFrontChannel, formPostRequest } from '../helpers/front-channel.js';
import { authorizeUrl, random, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
/** Registered for id_token and id_token token (grant type implicit). */
let implicitClient: TestClient;
/** Registered for id_token only. */
let idTokenOnlyClient: TestClient;
/** A default spa client: code only. */
let codeClient: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  implicitClient = await ts.client({
    kind: 'spa',
    grantTypes: ['implicit'],
    responseTypes: ['id_token', 'id_token token'],
    redirectUris: ['https://implicit.example.test/callback'],
  });
  idTokenOnlyClient = await ts.client({
    kind: 'spa',
    grantTypes: ['implicit'],
    responseTypes: ['id_token'],
    redirectUris: ['https://id-token-only.example.test/callback'],
  });
  codeClient = await ts.client({ kind: 'spa' });
});

afterAll(async () => {
  await ts?.close();
});

function implicitUrl(c: TestClient, params: Record<string, string>): URL {
  return authorizeUrl(ts, { client_id: c.clientId, redirect_uri: c.redirectUri, scope: 'openid profile email', state: random(), ...params });
}

async function verifyIdToken(idToken: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${ts.issuer}/jwks`));
  return (await jwtVerify(idToken, jwks, { issuer: ts.issuer, audience })).payload;
}

describe('implicit flow: response_type=id_token', () => {
  it('form_post: openid-client validates the posted ID token (nonce, signature, iss), no access token', async () => {
    const config = await discover(ts, implicitClient);
    client.useIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: implicitClient.redirectUri,
      scope: 'openid profile email offline_access',
      response_mode: 'form_post',
      nonce,
      state,
    });
    expect(url.searchParams.get('response_type')).toBe('id_token');

    const result = await authorizeFrontChannel(new Browser(), url, {
      stopAt: implicitClient.redirectUri,
      credentials: user,
      decision: 'allow',
    });
    if (result.mode !== 'form_post') throw new Error(`expected a form_post page, got a redirect to ${result.callback.href}`);
    expect(result.page.status).toBe(200);
    expect(result.page.headers.get('cache-control')).toMatch(/no-store/);
    expect(result.form.method).toBe('POST');
    expect(result.form.action.href).toBe(implicitClient.redirectUri);
    expect([...result.params.keys()].sort()).toEqual(['id_token', 'iss', 'state']);
    expect(result.params.get('iss')).toBe(ts.issuer);

    const claims = await client.implicitAuthentication(config, formPostRequest(result.form), nonce, { expectedState: state });
    expect(claims.sub).toBe(user.sub);
    expect(claims.nonce).toBe(nonce);
    expect(claims.aud).toBe(implicitClient.clientId);
    // OIDC Core §5.4: with response_type=id_token there is no access token, so the claims are in the ID token.
    expect(claims.email).toBe(user.email);
    expect(claims.at_hash).toBeUndefined();
    expect(claims.c_hash).toBeUndefined();
  });

  it('form_post: the page allows exactly its own submit script and escapes every value', async () => {
    const hostileState = `"><script>alert(1)</script><input name="id_token" value="forged`;
    const result = await authorizeFrontChannel(
      new Browser(),
      implicitUrl(implicitClient, { response_type: 'id_token', response_mode: 'form_post', nonce: random(), state: hostileState }),
      { stopAt: implicitClient.redirectUri, credentials: user, decision: 'allow' },
    );
    if (result.mode !== 'form_post') throw new Error('expected a form_post page');
    const csp = result.page.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get('script-src')).toEqual([`${ts.issuer}/assets/form-post.js`]);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toContain('https://implicit.example.test');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(result.page.headers.get('x-frame-options')).toBe('DENY');

    expect(result.page.body).not.toContain('<script>alert(1)</script>');
    const scripts = [...result.page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script src="/assets/form-post.js">']);
    expect(result.params.get('state')).toBe(hostileState);
    expect(result.params.getAll('id_token')).toHaveLength(1);
  });

  it('fragment is the default response mode, and never a query', async () => {
    const nonce = random();
    const result = await authorizeFrontChannel(new Browser(), implicitUrl(implicitClient, { response_type: 'id_token', nonce }), {
      stopAt: implicitClient.redirectUri,
      credentials: user,
      decision: 'allow',
    });
    if (result.mode !== 'redirect') throw new Error('expected a redirect');
    expect(result.callback.search).toBe('');
    const claims = await verifyIdToken(result.params.get('id_token')!, implicitClient.clientId);
    expect(claims.nonce).toBe(nonce);
    expect(result.params.has('access_token')).toBe(false);
    expect(result.params.has('code')).toBe(false);
  });
});

describe('implicit flow: response_type=id_token token', () => {
  it('returns an access token and an ID token whose at_hash matches it; the token works at /userinfo', async () => {
    const nonce = random();
    const result = await authorizeFrontChannel(
      new Browser(),
      implicitUrl(implicitClient, { response_type: 'id_token token', nonce, scope: 'openid profile email offline_access' }),
      { stopAt: implicitClient.redirectUri, credentials: user, decision: 'allow' },
    );
    if (result.mode !== 'redirect') throw new Error('expected a redirect');
    expect(result.callback.search).toBe('');
    const p = result.params;
    expect(p.get('token_type')).toBe('Bearer');
    expect(Number(p.get('expires_in'))).toBeGreaterThan(0);
    // RFC 6749 §4.2.2: never a refresh token from the authorization endpoint, even with offline_access.
    expect(p.has('refresh_token')).toBe(false);
    expect(p.has('code')).toBe(false);

    const accessToken = p.get('access_token')!;
    const idToken = p.get('id_token')!;
    const claims = await verifyIdToken(idToken, implicitClient.clientId);
    expect(claims.sub).toBe(user.sub);
    expect(claims.nonce).toBe(nonce);
    expect(claims.at_hash).toBe(halfHash(accessToken, decodeProtectedHeader(idToken).alg!));

    const info = await userinfo(ts, accessToken);
    expect(info.status, info.text).toBe(200);
    expect(info.body.sub).toBe(user.sub);
    expect(info.body.email).toBe(user.email);
  });

  it('works with form_post too', async () => {
    const result = await authorizeFrontChannel(
      new Browser(),
      implicitUrl(implicitClient, { response_type: 'id_token token', response_mode: 'form_post', nonce: random() }),
      { stopAt: implicitClient.redirectUri, credentials: user, decision: 'allow' },
    );
    if (result.mode !== 'form_post') throw new Error('expected a form_post page');
    expect([...result.params.keys()].sort()).toEqual(['access_token', 'expires_in', 'id_token', 'iss', 'scope', 'state', 'token_type']);
    const alg = decodeProtectedHeader(result.params.get('id_token')!).alg!;
    const claims = await verifyIdToken(result.params.get('id_token')!, implicitClient.clientId);
    expect(claims.at_hash).toBe(halfHash(result.params.get('access_token')!, alg));
  });
});

describe('form_post page CSP', () => {
  function get(url: URL, host: string): Promise<{ status: number; csp: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy'] ?? ''), body }));
      });
      req.on('error', reject).end();
    });
  }

  it('errors are posted too; the script source is the issuer, whatever Host the request names', async () => {
    // No nonce: an error, delivered with form_post before any login.
    const url = implicitUrl(implicitClient, { response_type: 'id_token', response_mode: 'form_post', state: 's' });
    const expected = `script-src ${ts.issuer}/assets/form-post.js;`;
    for (const host of ['evil.example:8443', 'Latch.Example', '[::1]:3000', 'a;script-src *']) {
      const spoofed = await get(url, host);
      expect(spoofed.status, host).toBe(200);
      expect(spoofed.body, host).toContain('name="error" value="invalid_request"');
      expect(spoofed.csp, host).toContain(expected);
      expect(spoofed.csp, host).not.toMatch(/evil|latch\.example|::1|\*/i);
    }
  });
});

describe('implicit flow: refusals', () => {
  async function errorFor(c: TestClient, params: Record<string, string>): Promise<{ callback: URL; params: URLSearchParams }> {
    const result = await authorizeFrontChannel(new Browser(), implicitUrl(c, params), { stopAt: c.redirectUri, credentials: user, decision: 'allow' });
    if (result.mode !== 'redirect') throw new Error('expected an error redirect');
    expect(result.params.has('id_token')).toBe(false);
    expect(result.params.has('access_token')).toBe(false);
    expect(result.params.get('iss')).toBe(ts.issuer);
    return result;
  }

  it('without nonce: invalid_request, in the fragment', async () => {
    for (const responseType of ['id_token', 'id_token token']) {
      const { callback, params } = await errorFor(implicitClient, { response_type: responseType, state: 'st-1' });
      expect(callback.search).toBe('');
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toMatch(/nonce/);
      expect(params.get('state')).toBe('st-1');
    }
  });

  it('id_token token with response_mode=query: invalid_request, and no token in the query', async () => {
    const { callback, params } = await errorFor(implicitClient, { response_type: 'id_token token', response_mode: 'query', nonce: random() });
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/response_mode=query/);
    expect(callback.searchParams.has('access_token')).toBe(false);
    expect(callback.searchParams.has('id_token')).toBe(false);
  });

  it('without the openid scope: invalid_scope', async () => {
    const { params } = await errorFor(implicitClient, { response_type: 'id_token', nonce: random(), scope: 'profile' });
    expect(params.get('error')).toBe('invalid_scope');
  });

  it('a client not registered for implicit: unauthorized_client (implicit is off by default)', async () => {
    const { params } = await errorFor(codeClient, { response_type: 'id_token', nonce: random() });
    expect(params.get('error')).toBe('unauthorized_client');
    const other = await errorFor(idTokenOnlyClient, { response_type: 'id_token token', nonce: random() });
    expect(other.params.get('error')).toBe('unauthorized_client');
  });

  it('response_type token alone (RFC 9700 §2.1.2) is not supported', async () => {
    const { params } = await errorFor(implicitClient, { response_type: 'token', nonce: random() });
    expect(params.get('error')).toBe('unsupported_response_type');
  });
});

describe('discovery', () => {
  it('lists exactly the supported response types and modes, and the implicit grant type', async () => {
    const m = (await (await fetch(`${ts.issuer}/.well-known/openid-configuration`)).json()) as { response_types_supported: string[]; response_modes_supported: string[]; grant_types_supported: string[] };
    expect([...m.response_types_supported].sort()).toEqual(['code', 'code id_token', 'code id_token token', 'code token', 'id_token', 'id_token token']);
    expect(m.response_modes_supported).toEqual(['query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt']);
    expect(m.grant_types_supported).toContain('implicit');
    expect(m.grant_types_supported).not.toContain('password');
  });
});
