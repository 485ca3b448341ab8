/**
 * Token introspection (RFC 7662) and revocation (RFC 7009).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { Browser } from '../helpers/browser.js';
import {
  expectTokenError,
  FULL_SCOPE,
  introspect,
  isActive,
  obtainTokens,
  postForm,
  revoke,
  tokenRequest,
  userinfo,
} from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;
let other: TestClient;
const browser = new Browser();

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  web = await ts.client({ kind: 'web' });
  other = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

describe('introspection (RFC 7662)', () => {
  let tokens: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    tokens = (await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE })).tokens;
  });

  it('describes an active access token: active, scope, client_id, sub, exp, iat, token_type', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await introspect(ts, tokens.access_token, web);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = res.body;
    expect(body.active).toBe(true);
    expect(String(body.scope).split(' ').sort()).toEqual(FULL_SCOPE.split(' ').sort());
    expect(body.client_id).toBe(web.clientId);
    expect(body.sub).toBe(user.sub);
    expect(body.exp).toBeGreaterThan(now);
    expect(body.iat).toBeLessThanOrEqual(now + 5);
    expect(body.iat).toBeGreaterThan(now - 60);
    expect(String(body.token_type).toLowerCase()).toBe('bearer');
    // How the person authenticated, as the ID token says it.
    expect(body.amr).toEqual(['pwd']);
    expect(body.acr).toBe('urn:latch:acr:pwd');
    expect(typeof body.auth_time).toBe('number');
  });

  it('describes an active refresh token', async () => {
    const res = await introspect(ts, tokens.refresh_token, web);
    expect(res.status, res.text).toBe(200);
    expect(res.body.active).toBe(true);
    expect(res.body.client_id).toBe(web.clientId);
    expect(res.body.sub).toBe(user.sub);
    expect(typeof res.body.exp).toBe('number');
  });

  it('treats token_type_hint as a hint only', async () => {
    const res = await introspect(ts, tokens.access_token, web, 'refresh_token');
    expect(res.status, res.text).toBe(200);
    expect(res.body.active).toBe(true);
  });

  it('stores tokens under their time-ordered key (time prefix and SHA-256), never the value', async () => {
    const stored = await ts.latch.store.tokens.find(tokenKey(tokens.access_token));
    expect(stored?.digest).toBe(`${tokens.access_token.slice(0, 9)}.${createHash('sha256').update(tokens.access_token).digest('base64url')}`);
    expect(stored?.digest).not.toContain(tokens.access_token.slice(9));
  });

  it('still accepts a token stored under the plain digest of earlier versions', async () => {
    const legacy = randomBytes(32).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const record = await ts.latch.store.tokens.find(tokenKey(tokens.access_token));
    await ts.latch.store.tokens.create({ ...record!, digest: createHash('sha256').update(legacy).digest('base64url'), createdAt: now, expiresAt: now + 60 });
    const res = await introspect(ts, legacy, web);
    expect(res.status, res.text).toBe(200);
    expect(res.body.active).toBe(true);
    expect(res.body.client_id).toBe(web.clientId);
  });

  it('tells another client nothing about a token it was not issued (RFC 7662 §4)', async () => {
    for (const token of [tokens.refresh_token, tokens.access_token]) {
      const res = await introspect(ts, token, other);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
    // Asking changed nothing: the owner still sees both tokens active.
    expect(await isActive(ts, tokens.refresh_token, web)).toBe(true);
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);
  });

  it('answers the clients an API allows about its access tokens, and only about those', async () => {
    const resourceServer = await ts.client({ kind: 'm2m' });
    const api = await createApi(ts.latch.store, {
      identifier: `https://introspected-${randomBytes(4).toString('hex')}.example.test`,
      scopes: ['read:things'],
      tokenFormat: 'opaque',
      introspectionClients: [resourceServer.clientId],
    });
    const app = await ts.client({ kind: 'web', scopes: ['openid offline_access read:things'] });
    const issued = (await obtainTokens(ts, browser, app, user, { scope: 'openid offline_access read:things', extra: { resource: api.identifier } })).tokens;
    const allowed = await introspect(ts, issued.access_token, resourceServer);
    expect(allowed.body, allowed.text).toMatchObject({ active: true, aud: api.identifier, client_id: app.clientId, sub: user.sub });
    // The API's client may ask about its access tokens, not about the refresh token of the app's grant.
    expect((await introspect(ts, issued.refresh_token, resourceServer)).body).toEqual({ active: false });
    // A client the API does not name learns nothing.
    expect((await introspect(ts, issued.access_token, other)).body).toEqual({ active: false });
    // Nor may the API's client ask about tokens for no API at all.
    expect((await introspect(ts, tokens.access_token, resourceServer)).body).toEqual({ active: false });
  });

  it('refuses to register an unknown or a public client as an API\'s introspection client', async () => {
    const spa = await ts.client({ kind: 'spa' });
    for (const id of ['no-such-client', spa.clientId]) {
      await expect(createApi(ts.latch.store, { identifier: `https://refused-${randomBytes(4).toString('hex')}.example.test`, introspectionClients: [id] })).rejects.toMatchObject({
        field: 'introspection_clients',
      });
    }
  });

  it('answers {"active":false} and nothing else for an unknown token', async () => {
    const res = await introspect(ts, 'unknown-token-value', web);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  it('requires client authentication (401 invalid_client)', async () => {
    const res = await postForm(`${ts.issuer}/introspect`, { token: tokens.access_token });
    expect(res.status, res.text).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a wrong client secret with 401 and a Basic challenge', async () => {
    const res = await introspect(ts, tokens.access_token, { clientId: web.clientId, clientSecret: 'wrong' });
    expect(res.status, res.text).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/);
  });

  it('refuses a token missing from the request (invalid_request)', async () => {
    const res = await postForm(`${ts.issuer}/introspect`, {}, web);
    expectTokenError(res, 400, 'invalid_request');
  });
});

describe('revocation (RFC 7009)', () => {
  it('revokes an access token: 200, then inactive and refused at /userinfo', async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
    expect((await userinfo(ts, tokens.access_token)).status).toBe(200);
    const res = await revoke(ts, tokens.access_token, web);
    expect(res.status, res.text).toBe(200);
    expect(await isActive(ts, tokens.access_token, web)).toBe(false);
    const info = await userinfo(ts, tokens.access_token);
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate') ?? '').toMatch(/error="invalid_token"/);
  });

  it('treats a token of a revoked grant as revoked, even one written while the grant was being revoked', async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
    const record = (await ts.latch.store.tokens.find(tokenKey(tokens.access_token)))!;
    expect(record.grantId).toBeTruthy();
    await ts.latch.store.grants.revoke(record.grantId!, Math.floor(Date.now() / 1000));
    // A token stored after the revocation, as a refresh racing it would: not marked revoked itself.
    const late = `${tokens.access_token.slice(0, 9)}${randomBytes(32).toString('base64url')}`;
    await ts.latch.store.tokens.create({ ...record, digest: tokenKey(late), revokedAt: null });
    expect((await ts.latch.store.tokens.find(tokenKey(late)))?.revokedAt).toBeNull();
    const res = await introspect(ts, late, web);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ active: false });
    const info = await userinfo(ts, late);
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate') ?? '').toMatch(/error="invalid_token"/);
  });

  it("revokes a refresh token and its family's access tokens", async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
    const res = await revoke(ts, tokens.refresh_token, web, 'refresh_token');
    expect(res.status, res.text).toBe(200);
    expect(await isActive(ts, tokens.refresh_token, web)).toBe(false);
    expect(await isActive(ts, tokens.access_token, web)).toBe(false);
    expect((await userinfo(ts, tokens.access_token)).status).toBe(401);
    const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web);
    expectTokenError(refreshed, 400, 'invalid_grant');
  });

  it('revokes a refresh token sent with the wrong hint', async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
    const res = await revoke(ts, tokens.refresh_token, web, 'access_token');
    expect(res.status, res.text).toBe(200);
    expect(await isActive(ts, tokens.refresh_token, web)).toBe(false);
  });

  it('answers 200 for an unknown token', async () => {
    const res = await revoke(ts, 'never-issued', web);
    expect(res.status, res.text).toBe(200);
  });

  it('answers 200 for an already revoked token', async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: 'openid' });
    expect((await revoke(ts, tokens.access_token, web)).status).toBe(200);
    expect((await revoke(ts, tokens.access_token, web)).status).toBe(200);
  });

  it("does not let another client revoke a client's token (RFC 7009 §2.1)", async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
    await revoke(ts, tokens.refresh_token, other);
    await revoke(ts, tokens.access_token, other);
    expect(await isActive(ts, tokens.refresh_token, web)).toBe(true);
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);
  });

  it('requires client authentication (401 invalid_client)', async () => {
    const { tokens } = await obtainTokens(ts, browser, web, user, { scope: 'openid' });
    const res = await postForm(`${ts.issuer}/revoke`, { token: tokens.access_token, client_id: web.clientId });
    expect(res.status, res.text).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);
  });

  it('refuses a request without a token (invalid_request)', async () => {
    const res = await postForm(`${ts.issuer}/revoke`, {}, web);
    expectTokenError(res, 400, 'invalid_request');
  });
});
