/**
 * require_auth_time and default_max_age (OIDC Registration §2): auth_time in every ID token of such a client, and a
 * person whose sign-in is older than the client's default max age signs in again when the request sends no max_age.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/storage/types.js';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { authorizeUrl, obtainTokens, pkcePair, random, redeemCode, expectTokens } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withMetadata(c: TestClient, patch: Partial<ClientMetadata>): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, ...patch } });
}

async function verified(idToken: string, c: TestClient) {
  return (await jwtVerify(idToken, createRemoteJWKSet(new URL(`${ts.issuer}/jwks`)), { issuer: ts.issuer, audience: c.clientId })).payload;
}

function request(c: TestClient, extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  const url = authorizeUrl(ts, {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid',
    state: random(),
    nonce: random(),
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, verifier: pkce.verifier };
}

/** Whether the browser's session answers `c` without a login page. */
async function answeredSilently(browser: Browser, c: TestClient, extra: Record<string, string> = {}) {
  const result = await browser.navigate(request(c, extra).url, { stopAt: c.redirectUri });
  if (result.kind === 'redirect') return { silent: true, params: result.url.searchParams };
  expect(findLoginForm(result.page), result.page.body.slice(0, 300)).toBeDefined();
  return { silent: false, params: undefined };
}

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
});

afterAll(async () => {
  await ts?.close();
});

describe('require_auth_time', () => {
  it('auth_time is in the ID token of the code flow, after a refresh, and verified by oauth4webapi', async () => {
    const c = await ts.client({ kind: 'web' });
    await withMetadata(c, { require_auth_time: true });
    const before = Math.floor(Date.now() / 1000);
    const { tokens } = await obtainTokens(ts, new Browser(), c, user, { scope: 'openid offline_access' });
    const first = await verified(tokens.id_token, c);
    expect(first.auth_time).toBeGreaterThanOrEqual(before - 2);

    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const rp: oauth.Client = { client_id: c.clientId, require_auth_time: true };
    const response = await oauth.refreshTokenGrantRequest(as, rp, oauth.ClientSecretBasic(c.clientSecret!), tokens.refresh_token, {
      [oauth.allowInsecureRequests]: true,
    });
    // oauth4webapi refuses an ID token without auth_time when the client registered require_auth_time.
    const refreshed = await oauth.processRefreshTokenResponse(as, rp, response);
    expect(oauth.getValidatedIdTokenClaims(refreshed)?.auth_time).toBe(first.auth_time);
  });
});

describe('default_max_age', () => {
  it('an older sign-in must be redone when the request sends no max_age; prompt=none gets login_required', async () => {
    const strict = await ts.client({ kind: 'web' });
    await withMetadata(strict, { default_max_age: 1 });
    const relaxed = await ts.client({ kind: 'web' });
    const browser = new Browser();
    const { tokens } = await obtainTokens(ts, browser, strict, user, { scope: 'openid' });
    const firstAuthTime = (await verified(tokens.id_token, strict)).auth_time as number;
    await obtainTokens(ts, browser, relaxed, user, { scope: 'openid' });

    await sleep(2200);
    // Control: a client without default_max_age is still answered from the session.
    expect((await answeredSilently(browser, relaxed)).silent).toBe(true);
    // max_age in the request overrides the client's default.
    expect((await answeredSilently(browser, strict, { max_age: '3600' })).silent).toBe(true);
    // Without max_age the client's default applies: a login page, or login_required with prompt=none.
    expect((await answeredSilently(browser, strict)).silent).toBe(false);
    const none = await answeredSilently(browser, strict, { prompt: 'none' });
    expect(none.silent).toBe(true);
    expect(none.params?.get('error')).toBe('login_required');

    // Signing in again gives an ID token with the new auth_time.
    const again = request(strict);
    const result = await browser.authorize(again.url, {
      stopAt: strict.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'allow',
    });
    expect(result.sawLogin).toBe(true);
    const code = result.params.get('code')!;
    const fresh = expectTokens(await redeemCode(ts, strict, { code, redirectUri: strict.redirectUri, verifier: again.verifier }));
    expect((await verified(fresh.id_token, strict)).auth_time as number).toBeGreaterThan(firstAuthTime);
  });

  it('a sign-in inside the default max age is answered from the session', async () => {
    const c = await ts.client({ kind: 'web' });
    await withMetadata(c, { default_max_age: 600 });
    const browser = new Browser();
    await obtainTokens(ts, browser, c, user, { scope: 'openid' });
    expect((await answeredSilently(browser, c)).silent).toBe(true);
  });
});

