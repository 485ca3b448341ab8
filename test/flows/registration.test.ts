/**
 * Dynamic client registration (RFC 7591, RFC 7592, OpenID Connect Dynamic Client Registration 1.0) over real HTTP:
 * openid-client registers itself with an initial access token and runs the code flow with what it got back; the
 * registration access token reads, replaces (and is rotated) and deletes; every refusal has its status and error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrationToken } from '../../src/admin/registration-tokens.js';
import { Browser } from '../helpers/browser.js';
import { FULL_SCOPE, getJson, postForm } from '../helpers/oauth.js';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let sector: Server;
let sectorUrl: string;
const sectorList = ['https://pairwise-a.example.test/cb', 'https://pairwise-b.example.test/cb'];

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  sector = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/sector.json' ? sectorList : ['https://elsewhere.example.test/cb']));
  });
  await new Promise<void>((resolve) => sector.listen(0, '127.0.0.1', resolve));
  sectorUrl = `http://127.0.0.1:${(sector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await ts?.close();
  await new Promise((resolve) => sector?.close(resolve));
});

async function initialToken(uses?: number): Promise<string> {
  return (await createRegistrationToken(ts.latch.store, uses === undefined ? {} : { uses })).token;
}

async function call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

const register = (body: unknown, token?: string) => call('POST', `${ts.issuer}/register`, body, token);
const web = (extra: Record<string, unknown> = {}) => ({ client_name: 'Self-made app', redirect_uris: ['https://self.example.test/cb'], ...extra });

describe('registration with an initial access token (the default)', () => {
  it('is advertised as registration_endpoint', async () => {
    const meta = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
    expect(meta.body.registration_endpoint).toBe(`${ts.issuer}/register`);
  });

  it('openid-client registers and runs the code flow with the returned credentials', async () => {
    const redirectUri = 'https://rp.example.test/callback';
    const config = await client.dynamicClientRegistration(
      new URL(ts.issuer),
      { client_name: 'openid-client RP', redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic' },
      client.ClientSecretBasic(),
      { initialAccessToken: await initialToken(1), execute: [client.allowInsecureRequests] },
    );
    const registered = config.clientMetadata();
    expect(registered.client_secret).toBeTruthy();
    expect(registered.client_secret_expires_at).toBe(0);
    expect(registered.registration_access_token).toBeTruthy();
    expect(registered.registration_client_uri).toBe(`${ts.issuer}/register/${registered.client_id}`);
    expect(registered.latch_registered).toBe(true);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: FULL_SCOPE,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const result = await new Browser().authorize(url, { stopAt: redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.claims()?.sub).toBe(user.sub);
  });

  it('a public native client registers and runs the code flow with PKCE through oauth4webapi', async () => {
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const made = await register({ client_name: 'Native RP', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: [redirectUri] }, await initialToken(1));
    expect(made.status).toBe(201);
    expect(made.body.client_secret).toBeUndefined();
    expect(made.body.latch_client_kind).toBe('native');
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const rp: oauth.Client = { client_id: made.body.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({ client_id: rp.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })) {
      url.searchParams.set(k, v);
    }
    const result = await new Browser().authorize(url, { stopAt: redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, oauth.None(), params, redirectUri, verifier, { [oauth.allowInsecureRequests]: true });
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response);
    expect(tokens.access_token).toBeTruthy();
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(user.sub);
  });

  it('refuses a request without a token (401, a bare challenge) and a wrong one (401 invalid_token)', async () => {
    const none = await register(web());
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_token');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="latch"');
    const wrong = await register(web(), 'not-a-token-latch-gave-out');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_token');
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('counts uses: a one-use token registers once; a refused registration does not use it', async () => {
    const token = await initialToken(1);
    const refused = await register(web({ redirect_uris: ['javascript:alert(1)'] }), token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_redirect_uri');
    expect((await register(web(), token)).status).toBe(201);
    const again = await register(web(), token);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');
  });

  it('checks redirect URIs as strictly as an operator\'s: javascript:, data:, fragments, http off loopback', async () => {
    const token = await initialToken();
    for (const uri of ['javascript:alert(1)', 'data:text/html,hi', 'https://self.example.test/cb#frag', 'http://self.example.test/cb', 'https://*.example.test/cb']) {
      const res = await register(web({ redirect_uris: [uri] }), token);
      expect(res.status, uri).toBe(400);
      expect(res.body.error, uri).toBe('invalid_redirect_uri');
    }
    const native = await register(web({ application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['javascript:alert(1)'] }), token);
    expect(native.body.error).toBe('invalid_redirect_uri');
  });

  it('ignores unknown members and a chosen client_id; refuses admin scopes; ignores latch_* members', async () => {
    const token = await initialToken();
    const res = await register(web({ client_id: 'i-chose-this', frobnicate: true, latch_default_resource: 'urn:latch:admin', latch_client_kind: 'm2m' }), token);
    expect(res.status).toBe(201);
    expect(res.body.client_id).not.toBe('i-chose-this');
    expect(res.body.frobnicate).toBeUndefined();
    expect(res.body.latch_default_resource).toBeUndefined();
    expect(res.body.latch_client_kind).toBe('web');
    const admin = await register(web({ scope: 'openid admin:read' }), token);
    expect(admin.status).toBe(400);
    expect(admin.body.error).toBe('invalid_client_metadata');
    expect(admin.body.error_description).toMatch(/^scope: /);
  });

  it('refuses a body that is not a JSON object of metadata, with a 400 and no 500', async () => {
    const token = await initialToken();
    const array = await register([web()], token);
    expect(array.status).toBe(400);
    expect(array.body.error).toBe('invalid_client_metadata');
    const form = await fetch(`${ts.issuer}/register`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_name=x' });
    expect(form.status).toBe(400);
    expect(((await form.json()) as { error: string }).error).toBe('invalid_client_metadata');
    const broken = await fetch(`${ts.issuer}/register`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{ not json' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/^invalid_(request|client_metadata)$/);
  });

  it('a registered client cannot get a token for urn:latch:admin (invalid_target at /token)', async () => {
    const res = await register({ client_name: 'Machine', grant_types: ['client_credentials'] }, await initialToken());
    expect(res.status).toBe(201);
    const token = await postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials', resource: 'urn:latch:admin' }, { clientId: res.body.client_id, clientSecret: res.body.client_secret });
    expect(token.status).toBe(400);
    expect(token.body.error).toBe('invalid_target');
  });

  it('validates every member: types, jwks xor jwks_uri, fetched URLs https and public, scope replaces the defaults', async () => {
    const token = await initialToken();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ require_auth_time: 'yes' }, 'require_auth_time'],
      [{ default_max_age: -1 }, 'default_max_age'],
      [{ userinfo_signed_response_alg: 'HS256' }, 'userinfo_signed_response_alg'],
      [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] }, jwks_uri: 'https://keys.example.test/jwks' }, 'jwks_uri'],
      [{ backchannel_logout_uri: 'http://logout.example.test/bc' }, 'backchannel_logout_uri'],
      [{ subject_type: 'pairwise', redirect_uris: ['https://a.example.test/cb', 'https://b.example.test/cb'] }, 'sector_identifier_uri'],
      [{ contacts: ['not an address'] }, 'contacts'],
      [{ dpop_bound_access_tokens: 1 }, 'dpop_bound_access_tokens'],
    ];
    for (const [extra, field] of cases) {
      const res = await register(web(extra), token);
      expect(res.status, field).toBe(400);
      expect(res.body.error, field).toBe('invalid_client_metadata');
      expect(res.body.error_description, field).toMatch(new RegExp(`^${field}: `));
    }
    const ok = await register(web({ scope: 'openid email', require_auth_time: true, default_max_age: 600, dpop_bound_access_tokens: true, contacts: ['ops@example.test'] }), token);
    expect(ok.status).toBe(201);
    expect(ok.body.scope).toBe('openid email');
    expect(ok.body.require_auth_time).toBe(true);
    expect(ok.body.default_max_age).toBe(600);
    expect(ok.body.dpop_bound_access_tokens).toBe(true);
    // RFC 7591 §2: without token_endpoint_auth_method, client_secret_basic (keys for request objects do not change it).
    const withKeys = await register(web({ jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ' }] } }), token);
    expect(withKeys.status).toBe(201);
    expect(withKeys.body.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(withKeys.body.client_secret).toBeTruthy();
  });

  it('pairwise with a sector_identifier_uri: fetched, and must list every redirect URI (OIDC Core §8.1)', async () => {
    const token = await initialToken();
    const ok = await register(web({ subject_type: 'pairwise', sector_identifier_uri: `${sectorUrl}/sector.json`, redirect_uris: sectorList }), token);
    expect(ok.status).toBe(201);
    expect(ok.body.subject_type).toBe('pairwise');
    const missing = await register(web({ subject_type: 'pairwise', sector_identifier_uri: `${sectorUrl}/other.json`, redirect_uris: sectorList }), token);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_client_metadata');
    expect(missing.body.error_description).toMatch(/^sector_identifier_uri: /);
  });
});

describe('RFC 7592: the registration access token', () => {
  it('reads, replaces (rotating the token), and deletes; the old token is refused after rotation', async () => {
    const made = await register(web(), await initialToken());
    expect(made.status).toBe(201);
    const uri = made.body.registration_client_uri as string;
    const first = made.body.registration_access_token as string;

    const read = await call('GET', uri, undefined, first);
    expect(read.status).toBe(200);
    expect(read.body.client_id).toBe(made.body.client_id);
    expect(read.body.client_secret).toBeUndefined();

    // The GET answer sent back with changes (server members included: ignored, RFC 7592 §2.2).
    const replaced = await call('PUT', uri, { ...read.body, client_name: 'Renamed', redirect_uris: ['https://self.example.test/new'] }, first);
    expect(replaced.status).toBe(200);
    expect(replaced.body.client_name).toBe('Renamed');
    expect(replaced.body.redirect_uris).toEqual(['https://self.example.test/new']);
    const second = replaced.body.registration_access_token as string;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);

    const old = await call('GET', uri, undefined, first);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_token');
    expect((await call('GET', uri, undefined, second)).status).toBe(200);

    const removed = await call('DELETE', uri, undefined, second);
    expect(removed.status).toBe(204);
    const gone = await call('GET', uri, undefined, second);
    expect(gone.status).toBe(401);
    expect(gone.body.error).toBe('invalid_token');
    expect(await ts.latch.store.clients.find(made.body.client_id)).toBeUndefined();
  });

  it('refuses a wrong client_id, a chosen client_secret, a bad redirect URI, and another client\'s token; nothing changes', async () => {
    const token = await initialToken();
    const a = (await register(web(), token)).body;
    const b = (await register(web(), token)).body;
    const uri = a.registration_client_uri as string;
    const rat = a.registration_access_token as string;

    const mismatch = await call('PUT', uri, web({ client_id: b.client_id }), rat);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toBe('invalid_request');
    const secret = await call('PUT', uri, web({ client_id: a.client_id, client_secret: 'my-own-secret' }), rat);
    expect(secret.status).toBe(400);
    expect(secret.body.error).toBe('invalid_client_metadata');
    const bad = await call('PUT', uri, web({ client_id: a.client_id, redirect_uris: ['javascript:alert(1)'] }), rat);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_redirect_uri');
    const foreign = await call('GET', uri, undefined, b.registration_access_token);
    expect(foreign.status).toBe(401);
    expect(foreign.body.error).toBe('invalid_token');
    const noToken = await call('DELETE', uri);
    expect(noToken.status).toBe(401);

    // Every refusal left the client and its token as they were.
    const read = await call('GET', uri, undefined, rat);
    expect(read.status).toBe(200);
    expect(read.body.redirect_uris).toEqual(['https://self.example.test/cb']);
  });
});

describe('LATCH_REGISTRATION', () => {
  it('open: no initial access token needed', async () => {
    const open = await startTestServer({ registration: 'open' });
    try {
      const res = await call('POST', `${open.issuer}/register`, web());
      expect(res.status).toBe(201);
      expect(res.body.registration_access_token).toBeTruthy();
      // At most 100 attempts per address and hour: the 101st answers 429 with Retry-After.
      const now = Math.floor(Date.now() / 1000);
      for (let i = 1; i < 100; i++) await open.latch.store.rateLimits.hit('register:127.0.0.1', 3600, now);
      const limited = await call('POST', `${open.issuer}/register`, web());
      expect(limited.status).toBe(429);
      expect(limited.body.error).toBe('temporarily_unavailable');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await open.close();
    }
  });

  it('off: not advertised, and /register is 404', async () => {
    const off = await startTestServer({ registration: 'off' });
    try {
      const meta = await getJson(`${off.issuer}/.well-known/openid-configuration`);
      expect(meta.body.registration_endpoint).toBeUndefined();
      const res = await call('POST', `${off.issuer}/register`, web());
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
