/**
 * Signed request objects (RFC 9101, OIDC Core §6) at /authorize and /par over real HTTP, with oauth4webapi signing
 * them, keys from jwks and from jwks_uri (a real local server, fetched through the outbound rules), and every
 * refusal: bad signature, alg none, wrong aud, expired, replayed jti, client_id mismatch, the registered alg,
 * require_signed_request_object.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/storage/types.js';
import { Browser, responseParams } from '../helpers/browser.js';
import { authorizeUrl, getJson, pkcePair, postForm, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

let ts: TestServer;
let user: TestUser;
let as: oauth.AuthorizationServer;

interface SigningKey {
  privateKey: CryptoKey;
  kid: string;
  jwk: JWK;
  alg: string;
}

async function signingKey(alg: 'ES256' | 'PS256' = 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = random(8);
  return { privateKey, kid, alg, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  const issuer = new URL(ts.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});

afterAll(async () => {
  await ts?.close();
});

async function withMetadata(c: TestClient, metadata: Partial<ClientMetadata>): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, ...metadata } });
}

async function jarClient(key: SigningKey, metadata: Partial<ClientMetadata> = {}): Promise<TestClient> {
  const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_basic', jwks: { keys: [key.jwk] } });
  if (Object.keys(metadata).length > 0) await withMetadata(c, metadata);
  return c;
}

function codeParams(c: TestClient, state: string, challenge: string): Record<string, string> {
  return { response_type: 'code', redirect_uri: c.redirectUri, scope: 'openid email', state, code_challenge: challenge, code_challenge_method: 'S256' };
}

/** The claims oauth4webapi would sign, for hand-made (broken) request objects. */
function claims(c: TestClient, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    ...codeParams(c, random(), pkcePair().challenge),
    client_id: c.clientId,
    iss: c.clientId,
    aud: ts.issuer,
    iat: now,
    nbf: now,
    exp: now + 60,
    jti: random(),
    ...overrides,
  };
}

function sign(key: SigningKey, payload: Record<string, unknown>, alg = key.alg): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'oauth-authz-req+jwt' }).sign(key.privateKey);
}

function jarUrl(c: TestClient, request: string): URL {
  return authorizeUrl(ts, { client_id: c.clientId, request });
}

/** The browser goes on to sign in: the request was accepted. */
async function expectAccepted(url: URL): Promise<void> {
  const page = await new Browser().request(url);
  expect(page.status, page.location?.href ?? page.body.slice(0, 300)).toBe(303);
  expect(page.location!.pathname, page.location!.href).toMatch(/^\/interaction\//);
}

/** The error sent back to the client's redirect URI. */
async function expectRefused(url: URL, c: TestClient, error: string): Promise<string> {
  const page = await new Browser().request(url);
  expect([302, 303], `${page.status} ${page.body.slice(0, 300)}`).toContain(page.status);
  expect(page.location!.origin + page.location!.pathname).toBe(c.redirectUri);
  const params = responseParams(page.location!);
  expect(params.get('error'), params.get('error_description') ?? '').toBe(error);
  expect(params.get('iss')).toBe(ts.issuer);
  return params.get('error_description') ?? '';
}

describe('request objects with oauth4webapi', () => {
  it('are advertised', () => {
    expect(as.request_parameter_supported).toBe(true);
    expect(as.request_object_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256', 'EdDSA']));
  });

  it('completes the code flow from a request object at /authorize (jwks)', async () => {
    const key = await signingKey();
    const c = await jarClient(key);
    const rp: oauth.Client = { client_id: c.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const request = await oauth.issueRequestObject(as, rp, codeParams(c, state, await oauth.calculatePKCECodeChallenge(verifier)), {
      key: key.privateKey,
      kid: key.kid,
    });
    // RFC 9101 §5: outer parameters are ignored; only the request object counts.
    const url = authorizeUrl(ts, { client_id: c.clientId, request, scope: 'openid profile', state: 'outer' });
    const result = await new Browser().authorize(url, { stopAt: c.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      rp,
      await oauth.authorizationCodeGrantRequest(as, rp, oauth.ClientSecretBasic((c as TestClient).clientSecret!), params, c.redirectUri, verifier, insecure),
    );
    expect(tokens.scope).toBe('openid email');
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(user.sub);
  });

  it('pushes a request object to /par (FAPI style: PAR + JAR + require_signed_request_object)', async () => {
    const key = await signingKey('PS256');
    const c = await jarClient(key, { require_signed_request_object: true, require_pushed_authorization_requests: true, request_object_signing_alg: 'PS256' });
    const rp: oauth.Client = { client_id: c.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const request = await oauth.issueRequestObject(as, rp, codeParams(c, state, await oauth.calculatePKCECodeChallenge(verifier)), {
      key: key.privateKey,
      kid: key.kid,
    });
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      rp,
      await oauth.pushedAuthorizationRequest(as, rp, oauth.ClientSecretBasic(c.clientSecret!), { request }, insecure),
    );
    const result = await new Browser().authorize(authorizeUrl(ts, { client_id: c.clientId, request_uri: pushed.request_uri }), {
      stopAt: c.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      rp,
      await oauth.authorizationCodeGrantRequest(as, rp, oauth.ClientSecretBasic(c.clientSecret!), params, c.redirectUri, verifier, insecure),
    );
    expect(tokens.access_token).toBeTruthy();
    // The same client without a request object, at /par and at /authorize: refused.
    const plain = await postForm(`${ts.issuer}/par`, codeParams(c, random(), pkcePair().challenge), c);
    expect(plain.status).toBe(400);
    expect(plain.body.error).toBe('invalid_request');
    expect(plain.body.error_description).toMatch(/signed request object/);
  });

  it('refuses a request object with a bad signature at /par as JSON', async () => {
    const key = await signingKey();
    const c = await jarClient(key);
    const forged = await sign(await signingKey(), claims(c));
    const res = await postForm(`${ts.issuer}/par`, { request: forged }, c);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request_object');
  });
});

describe('request objects that are refused (invalid_request_object, redirected to the client)', () => {
  let key: SigningKey;
  let c: TestClient;
  beforeAll(async () => {
    key = await signingKey();
    c = await jarClient(key);
  });

  it('bad signature (another key with the same kid)', async () => {
    const other = await signingKey();
    const forged = await new SignJWT(claims(c)).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(other.privateKey);
    expect(await expectRefused(jarUrl(c, forged), c, 'invalid_request_object')).toMatch(/signature/);
  });

  it('a tampered payload', async () => {
    const good = await sign(key, claims(c));
    const [header, , signature] = good.split('.');
    const payload = Buffer.from(JSON.stringify(claims(c, { scope: 'openid offline_access' }))).toString('base64url');
    await expectRefused(jarUrl(c, `${header}.${payload}.${signature}`), c, 'invalid_request_object');
  });

  it('alg none from a client that did not register it', async () => {
    const unsecured = new UnsecuredJWT(claims(c)).encode();
    expect(await expectRefused(jarUrl(c, unsecured), c, 'invalid_request_object')).toMatch(/alg none/);
  });

  it('wrong aud', async () => {
    const wrong = await sign(key, claims(c, { aud: 'https://other-issuer.example' }));
    expect(await expectRefused(jarUrl(c, wrong), c, 'invalid_request_object')).toMatch(/aud/);
  });

  it('wrong iss', async () => {
    await expectRefused(jarUrl(c, await sign(key, claims(c, { iss: 'someone-else' }))), c, 'invalid_request_object');
  });

  it('expired exp, a missing exp, and nbf in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await expectRefused(jarUrl(c, await sign(key, claims(c, { exp: now - 120 }))), c, 'invalid_request_object')).toMatch(/expired/);
    await expectRefused(jarUrl(c, await sign(key, claims(c, { exp: undefined }))), c, 'invalid_request_object');
    await expectRefused(jarUrl(c, await sign(key, claims(c, { nbf: now + 600 }))), c, 'invalid_request_object');
    await expectRefused(jarUrl(c, await sign(key, claims(c, { exp: now + 86400 }))), c, 'invalid_request_object');
  });

  it('a replayed jti, and a missing one', async () => {
    const once = await sign(key, claims(c));
    await expectAccepted(jarUrl(c, once));
    expect(await expectRefused(jarUrl(c, once), c, 'invalid_request_object')).toMatch(/replay/);
    await expectRefused(jarUrl(c, await sign(key, claims(c, { jti: undefined }))), c, 'invalid_request_object');
  });

  it('client_id in the object that is not the outer client_id', async () => {
    const other = await ts.client({ kind: 'web' });
    const mismatch = await sign(key, claims(c, { client_id: other.clientId }));
    expect(await expectRefused(jarUrl(c, mismatch), c, 'invalid_request_object')).toMatch(/client_id/);
  });

  it('a request object of another client (signed with its own key) sent under this client_id', async () => {
    const otherKey = await signingKey();
    const other = await jarClient(otherKey);
    const theirs = await sign(otherKey, claims(other));
    await expectRefused(jarUrl(c, theirs), c, 'invalid_request_object');
  });

  it('a JWT of another type (typ at+jwt)', async () => {
    const typed = await new SignJWT(claims(c)).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    await expectRefused(jarUrl(c, typed), c, 'invalid_request_object');
  });

  it('not a JWT at all; an error page when the redirect URI cannot be trusted', async () => {
    await expectRefused(jarUrl(c, 'not-a-jwt'), c, 'invalid_request_object');
    const page = await new Browser().request(authorizeUrl(ts, { client_id: c.clientId, request: 'not-a-jwt', redirect_uri: 'https://evil.example/cb' }));
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).toContain('invalid_request_object');
  });
});

describe('registered algorithms and require_signed_request_object', () => {
  it('enforces request_object_signing_alg', async () => {
    const key = await signingKey('ES256');
    const c = await jarClient(key, { request_object_signing_alg: 'PS256' });
    expect(await expectRefused(jarUrl(c, await sign(key, claims(c))), c, 'invalid_request_object')).toMatch(/PS256/);
  });

  it('accepts alg none only from a client that registered it, and never with require_signed_request_object', async () => {
    const key = await signingKey();
    const c = await jarClient(key, { request_object_signing_alg: 'none' });
    await expectAccepted(jarUrl(c, new UnsecuredJWT(claims(c)).encode()));
    // Signed with a real alg while none is registered: "MUST be rejected, if not signed with this algorithm".
    await expectRefused(jarUrl(c, await sign(key, claims(c))), c, 'invalid_request_object');
    await withMetadata(c, { require_signed_request_object: true });
    await expectRefused(jarUrl(c, new UnsecuredJWT(claims(c)).encode()), c, 'invalid_request');
  });

  it('require_signed_request_object refuses a plain request, with its state', async () => {
    const key = await signingKey();
    const c = await jarClient(key, { require_signed_request_object: true });
    const plain = authorizeUrl(ts, { client_id: c.clientId, ...codeParams(c, 'plain-state', pkcePair().challenge) });
    const page = await new Browser().request(plain);
    const params = responseParams(page.location!);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('state')).toBe('plain-state');
    await expectAccepted(jarUrl(c, await sign(key, claims(c))));
  });
});

describe('keys from jwks_uri', () => {
  let server: Server;
  let published: JWK[] = [];
  let fetches = 0;
  let jwksUri: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies request objects and private_key_jwt assertions, caches the set, and refetches once for a new kid', async () => {
    const first = await signingKey();
    published = [first.jwk];
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [first.jwk] } });
    const record = await ts.latch.store.clients.find(c.clientId);
    const { jwks: _inline, ...rest } = record!.metadata;
    await ts.latch.store.clients.update(c.clientId, { metadata: { ...rest, jwks_uri: jwksUri } });

    await expectAccepted(jarUrl(c, await sign(first, claims(c))));
    await expectAccepted(jarUrl(c, await sign(first, claims(c))));
    expect(fetches).toBe(1);

    // The client rotates: a kid the cached set lacks makes one refetch.
    const second = await signingKey();
    published = [first.jwk, second.jwk];
    await expectAccepted(jarUrl(c, await sign(second, claims(c))));
    expect(fetches).toBe(2);

    // private_key_jwt at /par with the key from jwks_uri.
    const rp: oauth.Client = { client_id: c.clientId };
    const response = await oauth.pushedAuthorizationRequest(
      as,
      rp,
      oauth.PrivateKeyJwt({ key: second.privateKey, kid: second.kid }),
      codeParams(c, random(), pkcePair().challenge),
      insecure,
    );
    expect(response.status).toBe(201);

    // A key nobody published is refused, whatever refetching finds.
    const stranger = await signingKey();
    await expectRefused(jarUrl(c, await sign(stranger, claims(c))), c, 'invalid_request_object');
  });
});

describe('discovery', () => {
  it('states the request object support', async () => {
    const metadata = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(metadata).toMatchObject({
      request_parameter_supported: true,
      request_uri_parameter_supported: true,
      require_request_uri_registration: false,
      pushed_authorization_request_endpoint: `${ts.issuer}/par`,
      require_pushed_authorization_requests: false,
    });
    expect(metadata.request_object_signing_alg_values_supported).toContain('none');
  });
});

describe('remote request_uri (LATCH_REQUEST_URI_REMOTE)', () => {
  let remote: TestServer;
  let server: Server;
  let served = '';
  let base: string;

  beforeAll(async () => {
    remote = await startTestServer({ requestUriRemote: true });
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await remote?.close();
  });

  it('fetches the request object through the outbound rules and verifies it like a request parameter', async () => {
    const key = await signingKey();
    const c = await remote.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_basic', jwks: { keys: [key.jwk] } });
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...claims(c), aud: remote.issuer, iat: now, nbf: now };
    served = await sign(key, payload);
    const page = await new Browser().request(authorizeUrl(remote, { client_id: c.clientId, request_uri: `${base}/ro/${random()}` }));
    expect(page.status).toBe(303);
    expect(page.location!.pathname).toMatch(/^\/interaction\//);
    // The same object again: its jti was used.
    const again = await new Browser().request(authorizeUrl(remote, { client_id: c.clientId, request_uri: `${base}/ro/${random()}` }));
    expect(responseParams(again.location!).get('error')).toBe('invalid_request_object');
    // A forged one from the same place.
    served = await sign(await signingKey(), { ...payload, jti: random() });
    const forged = await new Browser().request(authorizeUrl(remote, { client_id: c.clientId, request_uri: `${base}/ro/${random()}` }));
    expect(responseParams(forged.location!).get('error')).toBe('invalid_request_object');
    // Nothing answers there: invalid_request_uri.
    const gone = await new Browser().request(authorizeUrl(remote, { client_id: c.clientId, request_uri: 'http://127.0.0.1:1/nothing' }));
    expect(responseParams(gone.location!).get('error')).toBe('invalid_request_uri');
  });
});
