/**
 * The FAPI 2.0 Security Profile for the whole server (LATCH_FAPI2=true), and `latch clients create --profile fapi2`:
 * client secrets refused, no implicit or hybrid, exact redirect URIs, FAPI algorithms for ID tokens, discovery.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLatch } from '../../src/cli/test-helpers.js';
import { expectTokenError, getJson, pkcePair, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { allow, authorizeRefusal, discover, dpopOptions, frontChannel, keyAuth, signingKey } from './fapi2-helpers.js';

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
    const registered = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    const c = { ...registered, privateKey: key.privateKey, kid: key.kid };
    const as = await discover(ts);
    const { result, verifier, state, nonce } = await frontChannel(ts, c, user);
    const rp: oauth.Client = { client_id: c.clientId, id_token_signed_response_alg: 'ES256' };
    const params = oauth.validateAuthResponse(as, rp, result.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, rp, keyAuth(c), params, c.redirectUri, verifier, { [allow]: true, ...(await dpopOptions(as)) });
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
    // FAPI 2.0 §5.3.2.1: PAR only, and sender-constrained tokens (DPoP) with the profile's algorithms.
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    expect(metadata.request_object_signing_alg_values_supported).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(metadata.dpop_signing_alg_values_supported.length).toBeGreaterThan(0);
    for (const alg of metadata.dpop_signing_alg_values_supported) expect(['PS256', 'ES256', 'EdDSA']).toContain(alg);
    expect([...metadata.response_modes_supported].sort()).toEqual(['form_post', 'form_post.jwt', 'jwt', 'query', 'query.jwt']);
    expect(metadata.authorization_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('leaves what is stored as registered (the implied metadata is applied per request)', async () => {
    const web = await ts.client({ kind: 'web' });
    const stored = await ts.latch.store.clients.find(web.clientId);
    expect(stored?.metadata.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(stored?.metadata.latch_profile).toBeUndefined();
  });
});
