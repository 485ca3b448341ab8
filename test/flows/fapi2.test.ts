/**
 * The FAPI 2.0 Security Profile switch over real HTTP, with oauth4webapi as the relying party: per client
 * (`latch_profile: "fapi2"`) and server-wide (LATCH_FAPI2). What this branch enforces: private_key_jwt with PS256,
 * ES256 or EdDSA and the issuer as `aud`, PKCE S256, code only (no implicit, no hybrid), codes of at most 60 s, exact
 * redirect URIs, `iss` in the response, ID tokens in a FAPI algorithm, no refresh token rotation, and creation refused
 * for a client whose metadata contradicts the profile. PAR and DPoP requirements are set as flags (profile.ts).
 */
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminInputError, createClient } from '../../src/admin/clients.js';
import { runLatch } from '../../src/cli/test-helpers.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { Browser } from '../helpers/browser.js';
import { authorizeUrl, expectTokenError, getJson, pkcePair, random, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const allow = oauth.allowInsecureRequests;

interface KeyedClient extends TestClient {
  privateKey: CryptoKey;
  kid: string;
}

async function signingKey(alg: 'ES256' | 'PS256' | 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = random(8);
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

async function fapiClient(ts: TestServer, alg: 'ES256' | 'PS256' = 'ES256'): Promise<KeyedClient> {
  const key = await signingKey(alg);
  const c = await ts.client({
    kind: 'web',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [key.jwk] },
    profile: 'fapi2',
    idTokenSignedResponseAlg: 'PS256',
  });
  return { ...c, privateKey: key.privateKey, kid: key.kid };
}

async function discover(ts: TestServer): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(new URL(ts.issuer), await oauth.discoveryRequest(new URL(ts.issuer), { [allow]: true }));
}

/**
 * The front channel for a FAPI client: PKCE S256, code, through the browser. After the merge with PAR this request
 * must be pushed first (require_pushed_authorization_requests is implied by the profile).
 */
async function frontChannel(ts: TestServer, c: TestClient, user: TestUser, params: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = authorizeUrl(ts, {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid profile offline_access',
    state,
    nonce: random(),
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  });
  const result = await new Browser().authorize(url, { stopAt: c.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
  return { result, verifier, state, nonce: url.searchParams.get('nonce')! };
}

/** An /authorize request refused before any sign-in: the error redirect's parameters, or the error page's status. */
async function authorizeRefusal(ts: TestServer, params: Record<string, string>) {
  const res = await fetch(authorizeUrl(ts, params), { redirect: 'manual' });
  const location = res.headers.get('location');
  if (location) {
    const url = new URL(location, ts.issuer);
    return { status: res.status, params: new URLSearchParams(url.hash ? url.hash.slice(1) : url.search), location: url };
  }
  return { status: res.status, params: undefined, location: undefined, body: await res.text() };
}

/** A private_key_jwt assertion made by hand, for what oauth4webapi would never send. */
async function assertion(ts: TestServer, c: KeyedClient, options: { alg?: string; key?: CryptoKey; aud?: string | string[] } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: random() })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: c.kid })
    .setIssuer(c.clientId)
    .setSubject(c.clientId)
    .setAudience(options.aud ?? ts.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(options.key ?? c.privateKey);
}

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('a client under the profile (latch_profile: "fapi2")', () => {
  let ts: TestServer;
  let user: TestUser;
  let bank: KeyedClient;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    // Codes live 5 minutes for other clients; the profile holds them to 60 s.
    ts = await startTestServer({ codeTtl: 300 });
    user = await ts.user();
    bank = await fapiClient(ts);
    as = await discover(ts);
  });

  afterAll(async () => {
    await ts?.close();
  });

  async function tokensFor(c: KeyedClient) {
    const { result, verifier, state, nonce } = await frontChannel(ts, c, user);
    const rp: oauth.Client = { client_id: c.clientId, id_token_signed_response_alg: 'PS256' };
    // RFC 9207 / FAPI 2.0 §5.3.2.2: iss in the authorization response; oauth4webapi checks it.
    expect(result.params.get('iss')).toBe(ts.issuer);
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, oauth.PrivateKeyJwt({ key: c.privateKey, kid: c.kid }), params, c.redirectUri, verifier, { [allow]: true });
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: nonce, requireIdToken: true });
    return { tokens, rp };
  }

  it('signs in with PKCE S256, private_key_jwt and iss; the ID token is PS256', async () => {
    const { tokens } = await tokensFor(bank);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('PS256');
    expect(typeof tokens.refresh_token).toBe('string');
  });

  it('issues codes that live at most 60 s, though LATCH_CODE_TTL says 300', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { result } = await frontChannel(ts, bank, user);
    const code = result.params.get('code')!;
    // The code's expiry, read back through a consume attempt far in the future: expired then, so not consumed.
    const late = await ts.latch.store.codes.consume(tokenKey(code), { clientId: bank.clientId }, before + 62);
    expect(late?.firstUse).toBe(false);
    expect(late?.record.expiresAt).toBeLessThanOrEqual(before + 61);
    expect(late!.record.expiresAt - late!.record.createdAt).toBe(60);
  });

  it('does not rotate refresh tokens: the same one works again, and no new one is issued', async () => {
    const { tokens, rp } = await tokensFor(bank);
    const auth = () => oauth.PrivateKeyJwt({ key: bank.privateKey, kid: bank.kid });
    const first = await oauth.processRefreshTokenResponse(as, rp, await oauth.refreshTokenGrantRequest(as, rp, auth(), tokens.refresh_token!, { [allow]: true }));
    expect(first.refresh_token).toBeUndefined();
    expect(first.access_token).not.toBe(tokens.access_token);
    // Well beyond the reuse interval a rotation would allow: still the same refresh token, and no family revoked.
    const second = await oauth.processRefreshTokenResponse(as, rp, await oauth.refreshTokenGrantRequest(as, rp, auth(), tokens.refresh_token!, { [allow]: true }));
    expect(second.refresh_token).toBeUndefined();
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.refresh_token!));
    expect(record).toMatchObject({ kind: 'refresh_token', consumedAt: null, revokedAt: null, clientId: bank.clientId });
    const accessRecord = await ts.latch.store.tokens.find(tokenKey(first.access_token));
    expect(accessRecord?.revokedAt).toBeNull();
  });

  it('keeps the refresh token bound to its client: another client is refused and changes nothing', async () => {
    const { tokens, rp } = await tokensFor(bank);
    const other = await fapiClient(ts);
    const res = await tokenRequest(ts, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_assertion_type: assertionType,
      client_assertion: await assertion(ts, other),
    });
    expectTokenError(res, 400, 'invalid_grant');
    const again = await oauth.refreshTokenGrantRequest(as, rp, oauth.PrivateKeyJwt({ key: bank.privateKey, kid: bank.kid }), tokens.refresh_token!, { [allow]: true });
    expect((await oauth.processRefreshTokenResponse(as, rp, again)).access_token).toEqual(expect.any(String));
  });

  it('refuses a revoked refresh token', async () => {
    const { tokens } = await tokensFor(bank);
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.refresh_token!));
    await ts.latch.store.grants.revoke(record!.grantId!, Math.floor(Date.now() / 1000));
    const res = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_assertion_type: assertionType, client_assertion: await assertion(ts, bank) });
    expectTokenError(res, 400, 'invalid_grant');
  });

  it('refuses an authorization request without PKCE (invalid_request, redirected with iss)', async () => {
    const refused = await authorizeRefusal(ts, { response_type: 'code', client_id: bank.clientId, redirect_uri: bank.redirectUri, scope: 'openid', state: 's' });
    expect(refused.params?.get('error')).toBe('invalid_request');
    expect(refused.params?.get('error_description')).toMatch(/PKCE/);
    expect(refused.params?.get('iss')).toBe(ts.issuer);
  });

  it('refuses a client assertion signed RS256 (invalid_client), though the client registered no alg', async () => {
    const rsa = await signingKey('RS256');
    const c = await fapiClient(ts, 'ES256');
    // The same client with an RSA key too, to sign RS256 with a key it registered.
    const record = await ts.latch.store.clients.find(c.clientId);
    await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, jwks: { keys: [...record!.metadata.jwks!.keys, rsa.jwk] } } });
    const body = { grant_type: 'client_credentials', client_assertion_type: assertionType };
    const rs256 = await new SignJWT({ jti: random() })
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
      .setIssuer(c.clientId)
      .setSubject(c.clientId)
      .setAudience(ts.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(rsa.privateKey);
    expectTokenError(await tokenRequest(ts, { ...body, client_assertion: rs256 }), 401, 'invalid_client');
  });

  it('accepts only the issuer, as a string, as the assertion audience', async () => {
    const code = { grant_type: 'refresh_token', refresh_token: 'x', client_assertion_type: assertionType };
    expectTokenError(await tokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank, { aud: `${ts.issuer}/token` }) }), 401, 'invalid_client');
    expectTokenError(await tokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank, { aud: [ts.issuer] }) }), 401, 'invalid_client');
    // The issuer as a string gets past client authentication (and fails only on the made-up refresh token).
    expectTokenError(await tokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank) }), 400, 'invalid_grant');
  });

  it('refuses to create a client whose metadata contradicts the profile, naming the member', async () => {
    const key = await signingKey('ES256');
    const base = { name: 'Bank', kind: 'web' as const, redirectUris: ['https://bank.example/cb'], profile: 'fapi2' as const };
    const keyed = { ...base, tokenEndpointAuthMethod: 'private_key_jwt' as const, jwks: { keys: [key.jwk] }, idTokenSignedResponseAlg: 'PS256' };
    const cases: [object, string][] = [
      [{ ...base, idTokenSignedResponseAlg: 'PS256' }, 'token_endpoint_auth_method'],
      [{ ...keyed, idTokenSignedResponseAlg: 'RS256' }, 'id_token_signed_response_alg'],
      [{ ...keyed, grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code', 'code id_token'] }, 'response_types'],
      [{ ...keyed, redirectUris: ['http://127.0.0.1/cb'] }, 'redirect_uris'],
    ];
    for (const [input, field] of cases) {
      const error = await createClient(ts.latch.store, input as Parameters<typeof createClient>[1]).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(AdminInputError);
      expect((error as AdminInputError).field, field).toBe(field);
    }
  });
});

describe('latch clients create --profile fapi2', () => {
  it('refuses a client secret, naming the member, and registers a private_key_jwt client under the profile', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latch-fapi2-cli-'));
    try {
      const env = { LATCH_DATA_DIR: dataDir };
      const base = ['clients', 'create', '--name', 'Bank', '--type', 'web', '--redirect-uri', 'https://bank.example/cb', '--profile', 'fapi2'];
      const refused = await runLatch(base, { env });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/--auth-method|token_endpoint_auth_method/);
      const key = await signingKey('ES256');
      const jwksFile = join(dataDir, 'jwks.json');
      await writeFile(jwksFile, JSON.stringify({ keys: [key.jwk] }));
      const created = await runLatch([...base, '--auth-method', 'private_key_jwt', '--jwks-file', jwksFile, '--id-token-alg', 'PS256', '--json'], { env });
      expect(created.code, created.stderr).toBe(0);
      expect(created.json()).toMatchObject({ latch_profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt' });
      const unknown = await runLatch([...base.slice(0, -1), 'fapi1'], { env });
      expect(unknown.stderr).toMatch(/--profile|latch_profile/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the whole server under the profile (LATCH_FAPI2=true)', () => {
  let ts: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    ts = await startTestServer({ fapi2: true });
    user = await ts.user();
  });

  afterAll(async () => {
    await ts?.close();
  });

  it('refuses a client secret at the token endpoint: private_key_jwt only (invalid_client)', async () => {
    const m2m = await ts.client({ kind: 'm2m', scopes: ['stock:read'] });
    expectTokenError(await tokenRequest(ts, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: m2m.clientSecret! }), 401, 'invalid_client');
  });

  it('refuses hybrid and implicit response types a client registered (unauthorized_client)', async () => {
    const hybrid = await ts.client({ kind: 'web', grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code', 'code id_token', 'id_token'] });
    const { challenge } = pkcePair();
    for (const responseType of ['code id_token', 'id_token']) {
      const refused = await authorizeRefusal(ts, {
        response_type: responseType,
        client_id: hybrid.clientId,
        redirect_uri: hybrid.redirectUri,
        scope: 'openid',
        nonce: 'n',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      expect(refused.params?.get('error'), responseType).toBe('unauthorized_client');
    }
  });

  it('matches redirect URIs exactly: no loopback port relaxation for native apps', async () => {
    const native = await ts.client({ kind: 'native', redirectUris: ['http://127.0.0.1/callback'] });
    const { challenge } = pkcePair();
    const refused = await authorizeRefusal(ts, {
      response_type: 'code',
      client_id: native.clientId,
      redirect_uri: 'http://127.0.0.1:49152/callback',
      scope: 'openid',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    // RFC 6749 §4.1.2.1: an unregistered redirect URI is never redirected to: an error page.
    expect(refused.status).toBe(400);
    expect(refused.location).toBeUndefined();
  });

  it('signs ID tokens ES256 for a client registered with RS256, and codes still work with a FAPI client', async () => {
    const key = await signingKey('PS256');
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    const as = await discover(ts);
    const { result, verifier, state, nonce } = await frontChannel(ts, c, user);
    const rp: oauth.Client = { client_id: c.clientId, id_token_signed_response_alg: 'ES256' };
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), params, c.redirectUri, verifier, { [allow]: true });
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: nonce, requireIdToken: true });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
  });

  it('advertises only what the profile allows', async () => {
    const metadata = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.grant_types_supported).not.toContain('password');
    for (const alg of [...metadata.id_token_signing_alg_values_supported, ...metadata.token_endpoint_auth_signing_alg_values_supported]) {
      expect(['PS256', 'ES256', 'EdDSA']).toContain(alg);
    }
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('leaves what is stored as registered (the implied metadata is applied per request)', async () => {
    const web = await ts.client({ kind: 'web' });
    const stored = await ts.latch.store.clients.find(web.clientId);
    expect(stored?.metadata.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(stored?.metadata.latch_profile).toBeUndefined();
  });
});
