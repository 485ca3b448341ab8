/**
 * Signed UserInfo responses (OIDC Core §5.3.2, OIDC Registration §2 userinfo_signed_response_alg): application/jwt,
 * signed with the active key of the client's alg (as ID tokens are), with iss and aud; verified by oauth4webapi and
 * openid-client against the JWKS. A client that registered nothing gets JSON.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/storage/types.js';
import { Browser } from '../helpers/browser.js';
import { getJson, obtainTokens, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;

async function withMetadata(c: TestClient, patch: Partial<ClientMetadata>): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, ...patch } });
}

async function signedClient(alg: string): Promise<TestClient> {
  const c = await ts.client({ kind: 'web' });
  await withMetadata(c, { userinfo_signed_response_alg: alg });
  return c;
}

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user({ name: 'Mary Jackson', profile: { given_name: 'Mary', family_name: 'Jackson' } });
});

afterAll(async () => {
  await ts?.close();
});

describe('signed UserInfo', () => {
  it('RS256 with oauth4webapi: application/jwt, no-store, iss and aud, signature valid against the JWKS', async () => {
    const rs = await signedClient('RS256');
    const { tokens } = await obtainTokens(ts, new Browser(), rs, user, { scope: 'openid profile email' });
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    expect(as.userinfo_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    const rp: oauth.Client = { client_id: rs.clientId, userinfo_signed_response_alg: 'RS256' };
    const response = await oauth.userInfoRequest(as, rp, tokens.access_token, { [oauth.allowInsecureRequests]: true });
    expect(response.headers.get('content-type')).toMatch(/^application\/jwt/);
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    const info = await oauth.processUserInfoResponse(as, rp, user.sub, response);
    await oauth.validateApplicationLevelSignature(as, response, { [oauth.allowInsecureRequests]: true });
    expect(info).toMatchObject({ sub: user.sub, email: user.email, given_name: 'Mary', iss: ts.issuer, aud: rs.clientId });
  });

  it('ES256 with openid-client, and the JWT verifies with jose against /jwks with the key of its kid', async () => {
    const es = await signedClient('ES256');
    const { tokens } = await obtainTokens(ts, new Browser(), es, user, { scope: 'openid email' });
    const config = await discover(ts, es, { userinfo_signed_response_alg: 'ES256' }, client.ClientSecretBasic(es.clientSecret!));
    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.email).toBe(user.email);

    const raw = await userinfo(ts, tokens.access_token);
    expect(raw.status).toBe(200);
    const header = decodeProtectedHeader(raw.text);
    expect(header.alg).toBe('ES256');
    const jwks = await getJson(`${ts.issuer}/jwks`);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    const { payload } = await jwtVerify(raw.text, createRemoteJWKSet(new URL(`${ts.issuer}/jwks`)), {
      issuer: ts.issuer,
      audience: es.clientId,
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe(user.sub);
    // The audience is the token's own client: another client cannot take it for its own.
    await expect(
      jwtVerify(raw.text, createRemoteJWKSet(new URL(`${ts.issuer}/jwks`)), { issuer: ts.issuer, audience: 'another-client' }),
    ).rejects.toThrow(/aud/);
  });

  it('a tampered signed response does not verify', async () => {
    const rs = await signedClient('RS256');
    const { tokens } = await obtainTokens(ts, new Browser(), rs, user, { scope: 'openid email' });
    const raw = await userinfo(ts, tokens.access_token);
    const [h, p, s] = raw.text.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, email: 'attacker@example.test' })).toString('base64url')}.${s}`;
    await expect(jwtVerify(forged, createRemoteJWKSet(new URL(`${ts.issuer}/jwks`)), { issuer: ts.issuer })).rejects.toThrow();
  });

  it('a client without userinfo_signed_response_alg gets plain JSON (and an RP expecting a JWT refuses it)', async () => {
    const plain = await ts.client({ kind: 'web' });
    const { tokens } = await obtainTokens(ts, new Browser(), plain, user, { scope: 'openid email' });
    const raw = await userinfo(ts, tokens.access_token);
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
    expect(raw.body).toEqual({ sub: user.sub, email: user.email, email_verified: true });
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const rp: oauth.Client = { client_id: plain.clientId, userinfo_signed_response_alg: 'RS256' };
    const response = await oauth.userInfoRequest(as, rp, tokens.access_token, { [oauth.allowInsecureRequests]: true });
    await expect(oauth.processUserInfoResponse(as, rp, user.sub, response)).rejects.toThrow(/JWT UserInfo Response expected/);
  });

  it('an alg this server has no key for (HS256): invalid_client, never a 500 or an unsigned answer', async () => {
    const odd = await ts.client({ kind: 'web' });
    const { tokens } = await obtainTokens(ts, new Browser(), odd, user, { scope: 'openid email' });
    await withMetadata(odd, { userinfo_signed_response_alg: 'HS256' });
    const raw = await userinfo(ts, tokens.access_token);
    expect(raw.status, raw.text).toBe(400);
    expect(raw.body.error).toBe('invalid_client');
    expect(raw.body.email).toBeUndefined();
  });

  it('errors stay RFC 6750 JSON for a signed client: an invalid token is 401 invalid_token', async () => {
    await signedClient('RS256');
    const raw = await userinfo(ts, 'not-a-token');
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });
});
