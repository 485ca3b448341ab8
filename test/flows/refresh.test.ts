/**
 * Refresh tokens: rotation on every use, reuse detection revoking the whole family (OAuth 2.0
 * Security BCP §4.14.2), and scope narrowing / widening (RFC 6749 §6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import {
  expectTokenError,
  expectTokens,
  FULL_SCOPE,
  introspect,
  isActive,
  obtainTokens,
  tokenRequest,
  userinfo,
} from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  web = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

function refresh(refreshToken: string, extra: Record<string, string> = {}, c: TestClient = web) {
  return tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, c);
}

function scopes(value: unknown): string[] {
  return String(value ?? '').split(' ').filter(Boolean).sort();
}

describe('refresh token rotation', () => {
  let first: { access_token: string; refresh_token: string };
  let second: { access_token: string; refresh_token: string };
  let third: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    first = (await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE })).tokens;
  });

  it('issues a refresh token with the code', () => {
    expect(typeof first.refresh_token).toBe('string');
  });

  it('returns a new access token and a new refresh token on every use', async () => {
    second = expectTokens(await refresh(first.refresh_token));
    expect(typeof second.refresh_token).toBe('string');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await userinfo(ts, second.access_token)).status).toBe(200);

    third = expectTokens(await refresh(second.refresh_token));
    expect(third.refresh_token).not.toBe(second.refresh_token);
    expect((await userinfo(ts, third.access_token)).status).toBe(200);
  });

  it('keeps the granted scope when none is asked for', async () => {
    const res = await introspect(ts, third.access_token, web);
    expect(res.body.active).toBe(true);
    expect(scopes(res.body.scope)).toEqual(scopes(FULL_SCOPE));
  });

  it('refuses a rotated-out refresh token with invalid_grant', async () => {
    expectTokenError(await refresh(first.refresh_token), 400, 'invalid_grant');
  });

  it('revokes the whole family after the reuse: the newest refresh and access tokens stop working', async () => {
    expectTokenError(await refresh(third.refresh_token), 400, 'invalid_grant');
    expect(await isActive(ts, third.access_token, web)).toBe(false);
    expect(await isActive(ts, third.refresh_token, web)).toBe(false);
    expect(await isActive(ts, second.access_token, web)).toBe(false);
    const res = await userinfo(ts, third.access_token);
    expect(res.status).toBe(401);
  });
});

describe('reuse detection on the first replay after the successor was used', () => {
  it('a replayed refresh token revokes the tokens that replaced it', async () => {
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE });
    const next = expectTokens(await refresh(tokens.refresh_token));
    const after = expectTokens(await refresh(next.refresh_token));
    expectTokenError(await refresh(tokens.refresh_token), 400, 'invalid_grant');
    expect(await isActive(ts, after.access_token, web)).toBe(false);
    expectTokenError(await refresh(after.refresh_token), 400, 'invalid_grant');
  });
});

describe('refresh scope', () => {
  let tokens: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    tokens = (await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE })).tokens;
  });

  it('narrows the access token to the scope asked for', async () => {
    const narrowed = expectTokens(await refresh(tokens.refresh_token, { scope: 'openid' }));
    if (narrowed.scope !== undefined) expect(scopes(narrowed.scope)).toEqual(['openid']);
    const info = await introspect(ts, narrowed.access_token, web);
    expect(info.body.active).toBe(true);
    expect(scopes(info.body.scope)).toEqual(['openid']);
    const res = await userinfo(ts, narrowed.access_token);
    expect(res.status, res.text).toBe(200);
    expect(res.body.sub).toBe(user.sub);
    expect(res.body).not.toHaveProperty('email');
    tokens = narrowed;
  });

  it('keeps the original scope on the rotated refresh token (RFC 6749 §6): asking for all of it again works', async () => {
    const again = expectTokens(await refresh(tokens.refresh_token, { scope: 'openid profile email' }));
    const info = await introspect(ts, again.access_token, web);
    expect(scopes(info.body.scope)).toEqual(['email', 'openid', 'profile']);
    tokens = again;
  });

  it('refuses a wider scope with invalid_scope', async () => {
    const client = await ts.client({ kind: 'web', scopes: ['openid', 'profile', 'email', 'offline_access', 'address'] });
    const browser = new Browser();
    const a = (await obtainTokens(ts, browser, client, user, { scope: 'openid email offline_access' })).tokens;
    // A scope the client may ask for, but that was not granted.
    expectTokenError(await refresh(a.refresh_token, { scope: 'openid email address' }, client), 400, 'invalid_scope');
    const b = (await obtainTokens(ts, browser, client, user, { scope: 'openid email offline_access' })).tokens;
    expectTokenError(await refresh(b.refresh_token, { scope: 'openid profile' }, client), 400, 'invalid_scope');
  });
});

describe('refresh token binding', () => {
  it("refuses another client's refresh token with invalid_grant, and changes nothing: the owner still refreshes (RFC 6749 §6)", async () => {
    const other = await ts.client({ kind: 'web' });
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE });
    const res = await refresh(tokens.refresh_token, {}, other);
    expectTokenError(res, 400, 'invalid_grant');
    expectTokenError(await refresh(tokens.refresh_token, {}, other), 400, 'invalid_grant');
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);
    const next = expectTokens(await refresh(tokens.refresh_token));
    expect(await isActive(ts, next.access_token, web)).toBe(true);
    expectTokens(await refresh(next.refresh_token));
  });

  it('refuses an access token sent as refresh_token with invalid_grant, and changes nothing', async () => {
    const { tokens } = await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE });
    expectTokenError(await refresh(tokens.access_token), 400, 'invalid_grant');
    expectTokenError(await refresh(tokens.access_token), 400, 'invalid_grant');
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);
    expect((await userinfo(ts, tokens.access_token)).status).toBe(200);
    expectTokens(await refresh(tokens.refresh_token));
  });

  it('refuses an unknown refresh token with invalid_grant', async () => {
    expectTokenError(await refresh('definitely-not-a-refresh-token'), 400, 'invalid_grant');
  });
});
