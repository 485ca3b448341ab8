/**
 * The FAPI 2.0 Security Profile for one client (`latch_profile: "fapi2"`) over real HTTP, with oauth4webapi as the
 * relying party: private_key_jwt with PS256, ES256 or EdDSA and the issuer as `aud`, PKCE S256, `iss` in the response,
 * codes of at most 60 s, PS256 ID tokens, no refresh token rotation, and creation refused for a client whose metadata
 * contradicts the profile. PAR and DPoP are implied as flags (core/fapi/profile.ts); their tests come with them.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminInputError, createClient } from '../../src/admin/clients.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { expectTokenError, getJson, random, tokenRequest } from '../helpers/oauth.js';
import { proof, proofKey } from '../helpers/dpop.js';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.js';
import { allow, assertion, assertionType, authorizeRefusal, discover, dpopOptions, fapiClient, frontChannel, keyAuth, type KeyedClient, signingKey } from './fapi2-helpers.js';

/** A token request with a fresh DPoP proof: the profile binds every token of the client (dpop_bound_access_tokens). */
async function provenTokenRequest(ts: TestServer, body: Record<string, string>) {
  return tokenRequest(ts, body, undefined, { dpop: await proof(await proofKey(), { htu: `${ts.issuer}/token` }) });
}

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
    // The same DPoP key (once the server offers DPoP) for the code and for every refresh of these tokens.
    const options = { [allow]: true, ...(await dpopOptions(as)) };
    const response = await oauth.authorizationCodeGrantRequest(as, rp, keyAuth(c), params, c.redirectUri, verifier, options);
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: nonce, requireIdToken: true });
    return { tokens, rp, options };
  }

  it('signs in with PKCE S256, private_key_jwt and iss; the ID token is PS256', async () => {
    const { tokens } = await tokensFor(bank);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('PS256');
    expect(typeof tokens.refresh_token).toBe('string');
    // FAPI 2.0 §5.3.2.1: sender-constrained access tokens (DPoP, RFC 9449).
    expect(tokens.token_type).toBe('dpop');
  });

  it('refuses a token request without a DPoP proof (sender-constrained tokens only); the code stays redeemable', async () => {
    const { result, verifier } = await frontChannel(ts, bank, user);
    const body = { grant_type: 'authorization_code', code: result.params.get('code')!, redirect_uri: bank.redirectUri, code_verifier: verifier, client_assertion_type: assertionType };
    const refused = await tokenRequest(ts, { ...body, client_assertion: await assertion(ts, bank) });
    expectTokenError(refused, 400, 'invalid_dpop_proof');
    const answered = await provenTokenRequest(ts, { ...body, client_assertion: await assertion(ts, bank) });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body.token_type).toBe('DPoP');
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
    const { tokens, rp, options } = await tokensFor(bank);
    const first = await oauth.processRefreshTokenResponse(as, rp, await oauth.refreshTokenGrantRequest(as, rp, keyAuth(bank), tokens.refresh_token!, options));
    expect(first.refresh_token).toBeUndefined();
    expect(first.access_token).not.toBe(tokens.access_token);
    // Well beyond the reuse interval a rotation would allow: still the same refresh token, and no family revoked.
    const second = await oauth.processRefreshTokenResponse(as, rp, await oauth.refreshTokenGrantRequest(as, rp, keyAuth(bank), tokens.refresh_token!, options));
    expect(second.refresh_token).toBeUndefined();
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.refresh_token!));
    expect(record).toMatchObject({ kind: 'refresh_token', consumedAt: null, revokedAt: null, clientId: bank.clientId });
    const accessRecord = await ts.latch.store.tokens.find(tokenKey(first.access_token));
    expect(accessRecord?.revokedAt).toBeNull();
  });

  it('keeps the refresh token bound to its client: another client is refused and changes nothing', async () => {
    const { tokens, rp, options } = await tokensFor(bank);
    const other = await fapiClient(ts);
    const res = await provenTokenRequest(ts, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_assertion_type: assertionType,
      client_assertion: await assertion(ts, other),
    });
    expectTokenError(res, 400, 'invalid_grant');
    const again = await oauth.refreshTokenGrantRequest(as, rp, keyAuth(bank), tokens.refresh_token!, options);
    expect((await oauth.processRefreshTokenResponse(as, rp, again)).access_token).toEqual(expect.any(String));
  });

  it('refuses a revoked refresh token', async () => {
    const { tokens } = await tokensFor(bank);
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.refresh_token!));
    await ts.latch.store.grants.revoke(record!.grantId!, Math.floor(Date.now() / 1000));
    const res = await provenTokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_assertion_type: assertionType, client_assertion: await assertion(ts, bank) });
    expectTokenError(res, 400, 'invalid_grant');
  });

  it('refuses an authorization request that was not pushed first (FAPI 2.0 §5.3.2.2: PAR only), redirected with iss', async () => {
    const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
    const params = { response_type: 'code', client_id: bank.clientId, redirect_uri: bank.redirectUri, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
    const refused = await authorizeRefusal(ts, params);
    expect(refused.params?.get('error')).toBe('invalid_request');
    expect(refused.params?.get('error_description')).toMatch(/pushed/);
    expect(refused.params?.get('iss')).toBe(ts.issuer);
  });

  it('refuses a pushed request without PKCE at /par (invalid_request), and stores nothing', async () => {
    const res = await fetch(`${ts.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        response_type: 'code', client_id: bank.clientId, redirect_uri: bank.redirectUri, scope: 'openid', state: 's',
        client_assertion_type: assertionType, client_assertion: await assertion(ts, bank),
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/PKCE/);
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
    expectTokenError(await provenTokenRequest(ts, { ...body, client_assertion: rs256 }), 401, 'invalid_client');
  });

  it('signs JARM responses ES256 and refuses RS256 DPoP proofs (FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA only)', async () => {
    const { result } = await frontChannel(ts, bank, user, { response_mode: 'query.jwt' });
    const jwt = result.params.get('response')!;
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    const { payload } = await jwtVerify(jwt, createLocalJWKSet((await getJson(`${ts.issuer}/jwks`)).body), { issuer: ts.issuer, audience: bank.clientId });
    expect(payload.code).toEqual(expect.any(String));
    const rsaProof = await proof(await proofKey('RS256'), { htu: `${ts.issuer}/token` });
    const res = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: 'x', client_assertion_type: assertionType, client_assertion: await assertion(ts, bank) }, undefined, { dpop: rsaProof });
    expectTokenError(res, 400, 'invalid_dpop_proof');
  });

  it('accepts only the issuer, as a string, as the assertion audience', async () => {
    const code = { grant_type: 'refresh_token', refresh_token: 'x', client_assertion_type: assertionType };
    expectTokenError(await provenTokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank, { aud: `${ts.issuer}/token` }) }), 401, 'invalid_client');
    expectTokenError(await provenTokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank, { aud: [ts.issuer] }) }), 401, 'invalid_client');
    // The issuer as a string gets past client authentication (and fails only on the made-up refresh token).
    expectTokenError(await provenTokenRequest(ts, { ...code, client_assertion: await assertion(ts, bank) }), 400, 'invalid_grant');
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

