/**
 * APIs as resources: RFC 8707 resource indicators at /authorize and /token, RFC 9068 JWT access tokens for APIs
 * that prefer them, opaque ones (with `aud` at introspection) for the others, and the client's default API.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { revokeGrant } from '../../src/admin/grants.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { Browser } from '../helpers/browser.js';
import { authorizeFrontChannel } from '../helpers/front-channel.js';
import {
  authorizeUrl,
  expectTokenError,
  expectTokens,
  getJson,
  introspect,
  obtainCode,
  obtainTokens,
  pkcePair,
  random,
  redeemCode,
  tokenRequest,
  userinfo,
} from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const PHOTOS = 'https://photos.example';
const VIDEOS = 'https://videos.example/api';
const LEDGER = 'urn:example:ledger';

let ts: TestServer;
let user: TestUser;
let shop: TestClient;
let defaulted: TestClient;
let rs: TestClient;
let implicit: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  // The resource servers' client, allowed to introspect the APIs' tokens (RFC 7662 §4).
  rs = await ts.client({ kind: 'm2m' });
  const introspectionClients = [rs.clientId];
  await createApi(ts.latch.store, { identifier: PHOTOS, name: 'Photos', scopes: ['read:photos', 'write:photos'], accessTokenTtl: 600, introspectionClients });
  await createApi(ts.latch.store, { identifier: VIDEOS, scopes: ['read:videos'], tokenFormat: 'opaque', accessTokenTtl: 120, introspectionClients });
  await createApi(ts.latch.store, { identifier: LEDGER, scopes: ['ledger'], signingAlg: 'RS256', introspectionClients });
  const scopes = ['openid profile email offline_access read:photos read:videos ledger'];
  shop = await ts.client({ kind: 'web', scopes });
  defaulted = await ts.client({ kind: 'web', scopes, defaultResource: PHOTOS });
  implicit = await ts.client({ kind: 'spa', grantTypes: ['implicit'], responseTypes: ['id_token token'], scopes, redirectUris: ['https://implicit-photos.example.test/callback'] });
});

afterAll(async () => {
  await ts?.close();
});

const auth = (c: TestClient) => ({ clientId: c.clientId, clientSecret: c.clientSecret! });

async function jwks() {
  return createLocalJWKSet((await getJson(`${ts.issuer}/jwks`)).body);
}

async function tokensFor(client: TestClient, scope: string, extra: Record<string, string> = {}) {
  return obtainTokens(ts, new Browser(), client, user, { scope, extra });
}

async function authorizeError(params: Record<string, string>, client = shop): Promise<URLSearchParams> {
  const result = await new Browser().authorize(
    authorizeUrl(ts, {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: client.redirectUri,
      state: random(),
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...params,
    }),
    { stopAt: client.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' },
  );
  expect(result.sawLogin, 'refused before the login page').toBe(false);
  return result.params;
}

describe('JWT access tokens for an API (RFC 9068)', () => {
  it('carries typ at+jwt, iss, sub, aud, client_id, scope, jti, exp, iat, auth_time, signed ES256 with a published key', async () => {
    const { tokens } = await tokensFor(shop, 'openid profile read:photos', { resource: PHOTOS });
    // RFC 6749 §5.1: the scope of the access token: only the API's share of the request.
    expect(tokens.scope).toBe('read:photos');
    expect(tokens.expires_in).toBe(600);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(typeof header.kid).toBe('string');
    const { payload } = await jwtVerify(tokens.access_token, await jwks(), {
      issuer: ts.issuer,
      audience: PHOTOS,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ sub: user.sub, client_id: shop.clientId, scope: 'read:photos' });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.auth_time).toBe('number');
    expect(payload).not.toHaveProperty('email');
    // The ID token is still for the client, with the person's claims.
    const idToken = decodeJwt(tokens.id_token);
    expect(idToken.aud).toBe(shop.clientId);
    expect(idToken.name).toBe('Ada Lovelace');
  });

  it('signs with the API\'s algorithm and accepts a URN identifier', async () => {
    const { tokens } = await tokensFor(shop, 'openid ledger', { resource: LEDGER });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(decodeJwt(tokens.access_token).aud).toBe(LEDGER);
  });

  it('is introspectable with aud, and inactive once its grant is revoked', async () => {
    const { tokens } = await tokensFor(shop, 'openid read:photos offline_access', { resource: PHOTOS });
    const active = await introspect(ts, tokens.access_token, auth(rs));
    expect(active.body).toMatchObject({ active: true, aud: PHOTOS, scope: 'read:photos', sub: user.sub, client_id: shop.clientId, token_type: 'Bearer' });
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.access_token));
    expect(record).toMatchObject({ kind: 'access_token', audience: PHOTOS, scope: 'read:photos' });
    await revokeGrant(ts.latch.store, record!.grantId!);
    expect((await introspect(ts, tokens.access_token, auth(rs))).body).toEqual({ active: false });
    expectTokenError(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth(shop)), 400, 'invalid_grant');
  });

  it('is revocable at /revoke by its client', async () => {
    const { tokens } = await tokensFor(shop, 'openid read:photos', { resource: PHOTOS });
    const res = await fetch(`${ts.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${shop.clientId}:${shop.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(res.status).toBe(200);
    expect((await introspect(ts, tokens.access_token, auth(rs))).body).toEqual({ active: false });
  });

  it('is for the API, not for /userinfo (403 insufficient_scope)', async () => {
    const { tokens } = await tokensFor(shop, 'openid read:photos', { resource: PHOTOS });
    const res = await userinfo(ts, tokens.access_token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('is never accepted as an id_token_hint', async () => {
    const { tokens } = await tokensFor(shop, 'openid read:photos', { resource: PHOTOS });
    const params = await authorizeError({ scope: 'openid', id_token_hint: tokens.access_token, prompt: 'none' });
    expect(params.get('error')).toBe('invalid_request');
  });
});

describe('opaque access tokens for an API', () => {
  it('are random values with the API as aud at introspection and the API\'s lifetime', async () => {
    const { tokens } = await tokensFor(shop, 'openid read:videos', { resource: VIDEOS });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(tokens.expires_in).toBe(120);
    expect(tokens.scope).toBe('read:videos');
    const res = await introspect(ts, tokens.access_token, auth(rs));
    expect(res.body).toMatchObject({ active: true, aud: VIDEOS, scope: 'read:videos', sub: user.sub });
    expect(res.body.exp - res.body.iat).toBe(120);
  });

  it('without any resource, tokens stay as before: opaque, no aud, all scopes, usable at /userinfo', async () => {
    const { tokens } = await tokensFor(shop, 'openid email');
    expect(tokens.scope).toBe('openid email');
    const own = await introspect(ts, tokens.access_token, auth(shop));
    expect(own.body.active, own.text).toBe(true);
    expect(own.body).not.toHaveProperty('aud');
    // No API, so no resource server may ask about it (RFC 7662 §4).
    expect((await introspect(ts, tokens.access_token, auth(rs))).body).toEqual({ active: false });
    expect((await userinfo(ts, tokens.access_token)).body.sub).toBe(user.sub);
  });
});

describe('resource at /authorize (RFC 8707 §2)', () => {
  it.each([
    ['an unregistered API', { resource: 'https://unknown.example' }, 'invalid_target', /not an API registered/],
    ['a relative URI', { resource: '/photos' }, 'invalid_target', /absolute URI/],
    ['a fragment', { resource: `${PHOTOS}#x` }, 'invalid_target', /fragment/],
    ['a scope the API does not define', { resource: PHOTOS, scope: 'openid read:videos' }, 'invalid_scope', /not defined by API/],
    ['none of the API\'s scopes', { resource: PHOTOS, scope: 'openid' }, 'invalid_scope', /none of the requested scopes/],
  ])('refuses %s with a redirect', async (_name, params, error, description) => {
    const result = await authorizeError({ scope: 'openid read:photos', ...params });
    expect(result.get('error')).toBe(error);
    expect(result.get('error_description')).toMatch(description);
    expect(result.get('iss')).toBe(ts.issuer);
  });

  it('refuses two resources at once: one audience per token', async () => {
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: shop.clientId,
      redirect_uri: shop.redirectUri,
      scope: 'openid read:photos',
      state: random(),
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      resource: PHOTOS,
    });
    url.searchParams.append('resource', VIDEOS);
    const result = await new Browser().authorize(url, { stopAt: shop.redirectUri });
    expect(result.params.get('error')).toBe('invalid_target');
    expect(result.params.get('error_description')).toMatch(/only one resource/);
  });
});

describe('resource at /token (RFC 8707 §2.2)', () => {
  it('may repeat the authorized resource, but not name another one', async () => {
    const code = await obtainCode(ts, new Browser(), shop, user, { scope: 'openid read:photos', extra: { resource: PHOTOS } });
    expectTokenError(await redeemCode(ts, auth(shop), code, { resource: VIDEOS }), 400, 'invalid_target');
    const again = await obtainCode(ts, new Browser(), shop, user, { scope: 'openid read:photos', extra: { resource: PHOTOS } });
    const tokens = expectTokens(await redeemCode(ts, auth(shop), again, { resource: PHOTOS }));
    expect(decodeJwt(tokens.access_token).aud).toBe(PHOTOS);
  });

  it('refuses two resource parameters in one token request', async () => {
    const code = await obtainCode(ts, new Browser(), shop, user, { scope: 'openid read:photos', extra: { resource: PHOTOS } });
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! });
    body.append('resource', PHOTOS);
    body.append('resource', VIDEOS);
    expectTokenError(await tokenRequest(ts, body.toString(), auth(shop)), 400, 'invalid_target');
  });

  it('picks an API for a code authorized without a resource, keeping only that API\'s scopes', async () => {
    const code = await obtainCode(ts, new Browser(), shop, user, { scope: 'openid read:photos read:videos' });
    const tokens = expectTokens(await redeemCode(ts, auth(shop), code, { resource: VIDEOS }));
    expect(tokens.scope).toBe('read:videos');
    expect((await introspect(ts, tokens.access_token, auth(rs))).body.aud).toBe(VIDEOS);
  });

  it('refresh keeps the audience, narrows scope, and refuses another resource', async () => {
    await createApi(ts.latch.store, { identifier: 'https://albums.example', scopes: ['read:photos', 'write:photos'] }).catch(() => undefined);
    const { tokens } = await tokensFor(shop, 'openid offline_access read:photos', { resource: PHOTOS });
    const refreshed = expectTokens(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth(shop)));
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: PHOTOS, scope: 'read:photos' });
    expect(refreshed.scope).toBe('read:photos');
    expect(typeof refreshed.id_token).toBe('string');
    const explicit = expectTokens(
      await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token, resource: PHOTOS }, auth(shop)),
    );
    expect(decodeJwt(explicit.access_token).aud).toBe(PHOTOS);
    expectTokenError(
      await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: explicit.refresh_token, resource: 'https://albums.example' }, auth(shop)),
      400,
      'invalid_target',
    );
  });
});

describe('resource at /authorize for tokens from the authorization endpoint (implicit)', () => {
  it('returns a JWT access token for the API, its scopes and lifetime, with at_hash over it', async () => {
    const url = authorizeUrl(ts, {
      response_type: 'id_token token',
      client_id: implicit.clientId,
      redirect_uri: implicit.redirectUri,
      scope: 'openid read:photos',
      nonce: random(),
      state: random(),
      resource: PHOTOS,
    });
    const result = await authorizeFrontChannel(new Browser(), url, { stopAt: implicit.redirectUri, credentials: user, decision: 'allow' });
    const accessToken = result.params.get('access_token')!;
    expect(result.params.get('scope')).toBe('read:photos');
    expect(result.params.get('expires_in')).toBe('600');
    const { payload } = await jwtVerify(accessToken, await jwks(), { issuer: ts.issuer, audience: PHOTOS, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.sub, client_id: implicit.clientId, scope: 'read:photos' });
    expect(typeof decodeJwt(result.params.get('id_token')!).at_hash).toBe('string');
  });
});

describe("a client's default API (latch_default_resource)", () => {
  it('applies when the request names no resource but asks for the API\'s scopes', async () => {
    const { tokens } = await tokensFor(defaulted, 'openid read:photos');
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: PHOTOS, scope: 'read:photos', client_id: defaulted.clientId });
  });

  it('does not apply to a plain sign-in (only OpenID scopes): that token is for /userinfo', async () => {
    const { tokens } = await tokensFor(defaulted, 'openid profile');
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect((await userinfo(ts, tokens.access_token)).body.sub).toBe(user.sub);
  });

  it('yields to an explicit resource', async () => {
    const { tokens } = await tokensFor(defaulted, 'openid read:videos', { resource: VIDEOS });
    expect((await introspect(ts, tokens.access_token, auth(rs))).body.aud).toBe(VIDEOS);
  });
});
