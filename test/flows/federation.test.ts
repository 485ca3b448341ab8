import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { discover } from '../helpers/rp.js';
import { PASSWORD, type TestClient, type TestServer } from '../helpers/server.js';
import { type FederationSetup, type OidcProviderUpstream, startFederation } from './federation-upstreams.js';

/**
 * Sign in with another provider (issue 13) in real Chromium, against two real upstreams on 127.0.0.1: a second Latch
 * and node-oidc-provider. The Latch under test runs on localhost; the app is openid-client.
 */
describe.skipIf(!chromiumAvailable)('federation in Chromium', () => {
  let setup: FederationSetup;
  let latch: TestServer;
  let upstream: TestServer;
  let op: OidcProviderUpstream;
  let app: TestClient;
  let rp: client.Configuration;
  let browser: Browser;
  const shots = screenshotDir('federation');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    setup = await startFederation();
    ({ latch, upstream, op } = setup);
    await latch.user({ email: 'unverified-carol@op.test', name: 'Carol Existing' });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    rp = await discover(latch, app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await setup?.close();
  });

  /** The app starts a sign-in (openid-client: PKCE, state, nonce) and later redeems what comes back. */
  async function startApp(page: Page) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: app.redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await page.goto(url.href);
    return {
      async finish() {
        await page.waitForURL((u) => u.pathname === '/signed-in');
        const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
        return tokens.claims()!;
      },
      async error() {
        await page.waitForURL((u) => u.pathname === '/signed-in');
        const params = new URL(page.url()).searchParams;
        expect(params.get('state')).toBe(state);
        return params.get('error');
      },
    };
  }

  async function atUpstreamLatch(page: Page, email: string, decision: 'allow' | 'deny' | 'none' = 'allow') {
    await page.waitForURL((u) => u.host === new URL(upstream.issuer).host);
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').first().click();
    if (decision === 'none') return;
    await page.getByRole('button', { name: decision === 'allow' ? /allow/i : /deny/i }).click();
  }

  async function atOidcProvider(page: Page, login: string) {
    await page.waitForURL((u) => u.host === new URL(op.issuer).host);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.host === new URL(op.issuer).host && /consent|interaction/.test(u.pathname));
    await page.locator('button[type="submit"]').click();
  }

  async function allowAtLatch(page: Page) {
    await page.waitForURL((u) => u.host === new URL(latch.issuer).host && u.pathname.startsWith('/interaction/'));
    await page.getByRole('button', { name: /allow/i }).click();
  }

  it('first sign-in creates the user just in time, the second reuses it; the ID token says amr fed', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    const first = await startApp(page);
    await page.getByRole('button', { name: 'Continue with Upstream Latch' }).waitFor();
    expect(await page.getByRole('button', { name: 'Continue with OIDC Provider' }).count()).toBe(1);
    await page.screenshot({ path: join(shots, '1-login-with-providers.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue with Upstream Latch' }).click();
    await atUpstreamLatch(page, 'grace@up.test');
    await allowAtLatch(page);
    const claims = await first.finish();
    expect(claims.amr).toContain('fed');
    // One factor as far as Latch knows (core/accounts/acr.ts): what the upstream checked is not claimed.
    expect(claims.acr).toBe('urn:latch:acr:pwd');
    const user = await latch.latch.store.users.findByEmail('grace@up.test');
    expect(user?.sub).toBe(claims.sub);
    expect(user?.emailVerified).toBe(true);
    expect(user?.passwordHash).toBeNull();
    expect(user?.profile.name).toBe('Grace Hopper');
    expect((await latch.latch.store.identities.listBySub(user!.sub)).map((i) => i.connectionId)).toEqual(['latch-up']);
    await page.context().close();

    const again = await pageWithCspWatch(browser, cspViolations);
    const second = await startApp(again);
    await again.getByRole('button', { name: 'Continue with Upstream Latch' }).click();
    await atUpstreamLatch(again, 'grace@up.test', 'none');
    const claims2 = await second.finish();
    expect(claims2.sub).toBe(claims.sub);
    expect(claims2.amr).toEqual(['fed']);
    const events = await latch.latch.store.events.page({}, { limit: 100 });
    expect(events.items.filter((e) => e.type === 'user.created' && e.sub === claims.sub)).toHaveLength(1);
    expect(events.items.filter((e) => e.type === 'login.succeeded' && e.sub === claims.sub && e.data.via === 'federation')).toHaveLength(2);
    await again.context().close();
  });

  it('an existing account with the verified email is linked only after its password; then it signs in directly', async () => {
    const bob = (await latch.latch.store.users.findByEmail('bob@op.test'))!;
    const page = await pageWithCspWatch(browser, cspViolations);
    const flow = await startApp(page);
    await page.getByRole('button', { name: 'Continue with OIDC Provider' }).click();
    await atOidcProvider(page, 'bob');
    await page.getByRole('heading', { name: 'Link your account' }).waitFor();
    expect(await page.textContent('body')).toContain('bob@op.test');
    await page.screenshot({ path: join(shots, '2-link-proof.png'), fullPage: true });
    await page.locator('input[name="password"]').fill('not the password');
    await page.locator('form button[type="submit"]').click();
    await page.getByRole('alert').waitFor();
    expect(await latch.latch.store.identities.listBySub(bob.sub)).toEqual([]);
    await page.screenshot({ path: join(shots, '3-link-proof-wrong-password.png'), fullPage: true });
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').click();
    await allowAtLatch(page);
    const claims = await flow.finish();
    expect(claims.sub).toBe(bob.sub);
    expect((await latch.latch.store.identities.listBySub(bob.sub)).map((i) => [i.connectionId, i.upstreamSub])).toEqual([['op', 'bob']]);
    await page.context().close();

    const again = await pageWithCspWatch(browser, cspViolations);
    const second = await startApp(again);
    await again.getByRole('button', { name: 'Continue with OIDC Provider' }).click();
    await atOidcProvider(again, 'bob');
    const claims2 = await second.finish();
    expect(claims2.sub).toBe(bob.sub);
    expect(claims2.amr).toContain('fed');
    await again.context().close();
  });

  it('an unverified email is never linked: the login page says so', async () => {
    const carol = (await latch.latch.store.users.findByEmail('unverified-carol@op.test'))!;
    const page = await pageWithCspWatch(browser, cspViolations);
    await startApp(page);
    await page.getByRole('button', { name: 'Continue with OIDC Provider' }).click();
    await atOidcProvider(page, 'unverified-carol');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('did not confirm');
    expect(await page.locator('input[name="email"]').inputValue()).toBe('unverified-carol@op.test');
    await page.screenshot({ path: join(shots, '5-unverified-email-not-linked.png'), fullPage: true });
    expect(await latch.latch.store.identities.listBySub(carol.sub)).toEqual([]);
    await page.context().close();
  });

  it('a denial at the upstream comes back to the app as access_denied', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    const flow = await startApp(page);
    await page.getByRole('button', { name: 'Continue with Upstream Latch' }).click();
    await atUpstreamLatch(page, 'hedy@up.test', 'deny');
    expect(await flow.error()).toBe('access_denied');
    expect(await latch.latch.store.users.findByEmail('hedy@up.test')).toBeUndefined();
    await page.context().close();
  });

  it('a tampered, replayed or foreign state gives the error page (400), never a redirect', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    await startApp(page);
    // The callback URL as an attacker who saw it would keep it; the rightful browser completes its sign-in with it.
    let callback = '';
    page.on('request', (request) => {
      if (request.url().startsWith(`${latch.issuer}/federation/latch-up/callback`)) callback = request.url();
    });
    await page.getByRole('button', { name: 'Continue with Upstream Latch' }).click();
    await atUpstreamLatch(page, 'grace@up.test', 'none');
    await page.waitForURL((u) => u.pathname === '/signed-in');
    expect(callback).not.toBe('');

    const url = new URL(callback);
    const state = url.searchParams.get('state')!;
    const tampered = new URL(url);
    tampered.searchParams.set('state', state.slice(0, 20) + (state[20] === 'A' ? 'B' : 'A') + state.slice(21));
    const answer = await page.goto(tampered.href);
    expect(answer?.status()).toBe(400);
    expect(new URL(page.url()).host).toBe(new URL(latch.issuer).host);
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('not valid here');
    await page.screenshot({ path: join(shots, '4-bad-state.png'), fullPage: true });

    // Used once already: a replay is refused, in this browser and in another one.
    expect((await page.goto(callback))?.status()).toBe(400);
    const other = await pageWithCspWatch(browser, cspViolations);
    expect((await other.goto(callback))?.status()).toBe(400);
    await other.context().close();
    await page.context().close();
  });

  it('no Content-Security-Policy violations on the way', () => {
    expect(cspViolations).toEqual([]);
  });
});
