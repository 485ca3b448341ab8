/**
 * Pushed authorization requests (RFC 9126) over real HTTP, with oauth4webapi as the relying party: the whole flow,
 * the request_uri single use and bound to its client, expiry, errors as JSON at /par, and the per-client and
 * server-wide requirements.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestUriDigest } from '../../src/core/authorize/par.js';
import { Browser, responseParams } from '../helpers/browser.js';
import { authorizeUrl, getJson, pkcePair, postForm, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

let ts: TestServer;
let user: TestUser;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  const issuer = new URL(ts.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});

afterAll(async () => {
  await ts?.close();
});

async function requirePar(c: TestClient): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, require_pushed_authorization_requests: true } });
}

async function withSignedRequired(c: TestClient): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, require_signed_request_object: true } });
}

/** Pushes a code request for `c` with oauth4webapi and returns request_uri and the PKCE verifier. */
async function push(c: TestClient, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const response = await oauth.pushedAuthorizationRequest(
    as,
    { client_id: c.clientId },
    oauth.ClientSecretBasic(c.clientSecret!),
    {
      response_type: 'code',
      redirect_uri: c.redirectUri,
      scope: 'openid email',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    },
    insecure,
  );
  expect(response.status).toBe(201);
  const pushed = await oauth.processPushedAuthorizationResponse(as, { client_id: c.clientId }, response);
  return { ...pushed, verifier, state };
}

function parUrl(clientId: string, requestUri: string, extra: Record<string, string> = {}): URL {
  return authorizeUrl(ts, { client_id: clientId, request_uri: requestUri, ...extra });
}

/** The error a refused /authorize request sends back to `c`'s redirect URI. */
async function errorAtRedirect(url: URL, c: TestClient): Promise<URLSearchParams> {
  const page = await new Browser().request(url);
  expect([302, 303], `${page.status} ${page.body.slice(0, 300)}`).toContain(page.status);
  expect(page.location!.origin + page.location!.pathname).toBe(c.redirectUri);
  const params = responseParams(page.location!);
  expect(params.get('iss')).toBe(ts.issuer);
  return params;
}

describe('PAR with oauth4webapi', () => {
  let web: TestClient;
  beforeAll(async () => {
    web = await ts.client({ kind: 'web' });
  });

  it('is advertised', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${ts.issuer}/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
    expect(as.request_uri_parameter_supported).toBe(true);
  });

  it('pushes the request, signs in with request_uri and client_id only, and redeems the code', async () => {
    const { request_uri, expires_in, verifier, state } = await push(web);
    expect(request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(expires_in).toBe(60);
    const result = await new Browser().authorize(parUrl(web.clientId, request_uri), {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const params = oauth.validateAuthResponse(as, { client_id: web.clientId }, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, { client_id: web.clientId }, oauth.ClientSecretBasic(web.clientSecret!), params, web.redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: web.clientId }, response, { requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(user.sub);
    expect(tokens.scope).toBe('openid email');
  });

  it('uses only the pushed parameters: outer ones (scope, redirect_uri, state) are ignored', async () => {
    const { request_uri, state } = await push(web);
    const browser = new Browser();
    const result = await browser.authorize(
      parUrl(web.clientId, request_uri, { scope: 'openid profile email offline_access', state: 'outer', redirect_uri: 'https://evil.example/cb' }),
      { stopAt: web.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' },
    );
    expect(result.params.get('state')).toBe(state);
    expect(result.params.get('code')).toBeTruthy();
  });

  it('refuses a request_uri used a second time (single use)', async () => {
    const { request_uri } = await push(web);
    const first = await new Browser().request(parUrl(web.clientId, request_uri));
    expect(first.status).toBe(303);
    expect(first.location!.pathname).toMatch(/^\/interaction\//);
    const params = await errorAtRedirect(parUrl(web.clientId, request_uri), web);
    expect(params.get('error')).toBe('invalid_request_uri');
  });

  it("refuses another client's use of a request_uri, which consumes nothing", async () => {
    const other = await ts.client({ kind: 'web' });
    const { request_uri, state } = await push(web);
    const params = await errorAtRedirect(parUrl(other.clientId, request_uri), other);
    expect(params.get('error')).toBe('invalid_request_uri');
    const result = await new Browser().authorize(parUrl(web.clientId, request_uri), {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    expect(result.params.get('state')).toBe(state);
  });

  it('refuses an expired request_uri, and one it never issued', async () => {
    const requestUri = `urn:ietf:params:oauth:request_uri:${random(32)}`;
    const now = Math.floor(Date.now() / 1000);
    await ts.latch.store.pushedRequests.create({
      digest: requestUriDigest(requestUri)!,
      clientId: web.clientId,
      params: { client_id: web.clientId, response_type: 'code', redirect_uri: web.redirectUri, scope: 'openid', latch_pushed: '1' },
      createdAt: now - 120,
      expiresAt: now - 60,
    });
    expect((await errorAtRedirect(parUrl(web.clientId, requestUri), web)).get('error')).toBe('invalid_request_uri');
    const unknown = `urn:ietf:params:oauth:request_uri:${random(32)}`;
    expect((await errorAtRedirect(parUrl(web.clientId, unknown), web)).get('error')).toBe('invalid_request_uri');
  });

  it('refuses a remote request_uri unless the operator allows them', async () => {
    const params = await errorAtRedirect(parUrl(web.clientId, 'https://rp.example.test/request.jwt'), web);
    expect(params.get('error')).toBe('invalid_request_uri');
  });
});

describe('errors at /par are JSON and store nothing', () => {
  let web: TestClient;
  let base: Record<string, string>;
  beforeAll(async () => {
    web = await ts.client({ kind: 'web' });
    base = { response_type: 'code', redirect_uri: web.redirectUri, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' };
  });

  const par = (body: Record<string, string>, auth?: { clientId: string; clientSecret?: string }) => postForm(`${ts.issuer}/par`, body, auth ?? web);

  it('authenticates the client (RFC 9126 §2.1)', async () => {
    const wrong = await par(base, { clientId: web.clientId, clientSecret: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const none = await postForm(`${ts.issuer}/par`, { ...base, client_id: web.clientId });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
  });

  it('checks the parameters as /authorize would', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...base, scope: 'openid urn:latch:admin' }, 'invalid_scope'],
      [{ ...base, redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
      [{ ...base, response_type: 'token' }, 'unsupported_response_type'],
      [{ ...base, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ ...base, prompt: 'none login' }, 'invalid_request'],
      [{ ...base, resource: 'https://unknown-api.example/' }, 'invalid_target'],
      // RFC 9126 §2.1: request_uri must not be pushed.
      [{ ...base, request_uri: 'urn:ietf:params:oauth:request_uri:x' }, 'invalid_request'],
    ];
    for (const [body, error] of cases) {
      const res = await par(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error, JSON.stringify(body)).toBe(error);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers 201 with request_uri and expires_in, and no-store; the client secret is not kept', async () => {
    const post = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_post' });
    const body = { ...base, redirect_uri: post.redirectUri, client_id: post.clientId, client_secret: post.clientSecret! };
    const res = await postForm(`${ts.issuer}/par`, body);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['expires_in', 'request_uri']);
    const record = await ts.latch.store.pushedRequests.consume(requestUriDigest(res.body.request_uri)!, post.clientId, Math.floor(Date.now() / 1000));
    expect(record?.params).toMatchObject({ client_id: post.clientId, redirect_uri: post.redirectUri, latch_pushed: '1' });
    expect(JSON.stringify(record)).not.toContain(post.clientSecret!);
    expect(Object.keys(record!.params)).not.toContain('client_secret');
  });

  it('a refused push stores nothing', async () => {
    const count = async () => Number((await ts.latch.store.kysely.selectFrom('pushed_authorization_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n);
    const before = await count();
    expect((await par({ ...base, scope: 'openid urn:latch:admin' })).status).toBe(400);
    expect(await count()).toBe(before);
  });
});

describe('require_pushed_authorization_requests (per client)', () => {
  it('refuses a plain authorization request and accepts a pushed one', async () => {
    const web = await ts.client({ kind: 'web' });
    await requirePar(web);
    const plain = authorizeUrl(ts, { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid', state: 's1' });
    const params = await errorAtRedirect(plain, web);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/pushed/);
    expect(params.get('state')).toBe('s1');
    const { request_uri } = await push(web);
    const first = await new Browser().request(parUrl(web.clientId, request_uri));
    expect(first.status).toBe(303);
    expect(first.location!.pathname).toMatch(/^\/interaction\//);
  });

  it('cannot be bypassed by sending the reserved markers Latch records the source in', async () => {
    const web = await ts.client({ kind: 'web' });
    await requirePar(web);
    await withSignedRequired(web);
    const forged = authorizeUrl(ts, {
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: web.redirectUri,
      scope: 'openid',
      latch_pushed: '1',
      latch_signed: '1',
    });
    expect((await errorAtRedirect(forged, web)).get('error')).toBe('invalid_request');
    // Pushed with the markers in the body: still not signed.
    const pushed = await postForm(`${ts.issuer}/par`, { response_type: 'code', redirect_uri: web.redirectUri, scope: 'openid', latch_signed: '1' }, web);
    expect(pushed.status).toBe(400);
    expect(pushed.body.error).toBe('invalid_request');
  });
});

describe('LATCH_REQUIRE_PAR (server-wide)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ requirePar: true, parTtl: 30 });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('is advertised, refuses plain requests and accepts pushed ones with its own lifetime', async () => {
    const metadata = await getJson(`${strict.issuer}/.well-known/openid-configuration`);
    expect(metadata.body.require_pushed_authorization_requests).toBe(true);
    const web = await strict.client({ kind: 'web' });
    const plain = authorizeUrl(strict, { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid' });
    const page = await new Browser().request(plain);
    expect(page.status).toBe(303);
    expect(responseParams(page.location!).get('error')).toBe('invalid_request');
    const pushed = await postForm(`${strict.issuer}/par`, { response_type: 'code', redirect_uri: web.redirectUri, scope: 'openid' }, web);
    expect(pushed.status).toBe(201);
    expect(pushed.body.expires_in).toBe(30);
    const first = await new Browser().request(authorizeUrl(strict, { client_id: web.clientId, request_uri: pushed.body.request_uri }));
    expect(first.status).toBe(303);
    expect(first.location!.pathname).toMatch(/^\/interaction\//);
  });
});
