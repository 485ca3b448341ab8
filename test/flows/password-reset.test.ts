import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser as FetchBrowser } from '../helpers/browser.js';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { codeFlowUrl, FULL_SCOPE } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from './account-smtp.js';

const NEW_PASSWORD = 'a brand new passphrase 2026';

/** Asks for a reset link as a browser would (the form's CSRF token first); the answer page. */
async function askForLink(latch: TestServer, email: string, browser = new FetchBrowser()) {
  const form = await browser.request(`${latch.issuer}/password/forgot`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  return browser.request(`${latch.issuer}/password/forgot`, { method: 'POST', body: new URLSearchParams({ csrf, email }) });
}

/** Signs in to `app` through the fetch browser and returns its tokens (openid-client as the app). */
async function appTokens(latch: TestServer, app: TestClient, user: TestUser, browser: FetchBrowser) {
  const config = await discover(latch, app);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope: FULL_SCOPE,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const result = await browser.authorize(url, { stopAt: app.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
  const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
  return { config, tokens };
}

/**
 * Issue 13, "Forgot password?": the same answer for any address, a single-use link valid 30 minutes received by a
 * real SMTP server and followed in Chromium; the reset ends the person's sessions and a refresh token issued before
 * fails with invalid_grant; limits per typed address and per network address.
 */
describe.skipIf(!chromiumAvailable)('password reset in Chromium against a real SMTP server', () => {
  let smtp: TestSmtp;
  let latch: TestServer;
  let app: TestClient;
  let user: TestUser;
  let browser: Browser;
  const shots = screenshotDir('password-reset');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    latch = await startTestServer({ smtpUrl: smtp.url });
    app = await latch.client({ kind: 'web', name: 'Photo album' });
    user = await latch.user({ email: 'grace@example.com', profile: { locale: 'en-GB' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
    await smtp?.close();
  });

  it('resets from the mailed link once, ends the sessions and makes an earlier refresh token fail', async () => {
    const signedIn = new FetchBrowser();
    const { config, tokens } = await appTokens(latch, app, user, signedIn);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await latch.latch.store.sessions.listBySub(user.sub, Math.floor(Date.now() / 1000))).toHaveLength(1);

    const page = await pageWithCspWatch(browser, cspViolations);
    await page.goto(codeFlowUrl(latch, app).href);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Reset your password');
    await page.screenshot({ path: join(shots, '1-forgot.png'), fullPage: true });
    await page.locator('input[name="email"]').fill(user.email);
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your email');
    expect(await page.textContent('body')).toMatch(/If an account exists for grace@example.com, we sent it a link .* for 30 minutes/);
    await page.screenshot({ path: join(shots, '2-forgot-sent.png'), fullPage: true });

    const mail = await smtp.waitFor(user.email);
    expect(mail.subject).toBe('Reset your Latch password');
    expect(mail.text).toMatch(/expires in 30 minutes/);
    const link = linkIn(mail, `${latch.issuer}/password/reset?token=`);
    await page.goto(link);
    await page.screenshot({ path: join(shots, '3-reset.png'), fullPage: true });
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.locator('input[name="password2"]').fill('something else entirely');
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('[role="alert"]')).toMatch(/not the same/);
    await page.screenshot({ path: join(shots, '4-reset-mismatch.png'), fullPage: true });
    // A refused password leaves the link working.
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.locator('input[name="password2"]').fill(NEW_PASSWORD);
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('h1')).toBe('Your password was changed');
    await page.screenshot({ path: join(shots, '5-reset-done.png'), fullPage: true });

    // Sessions ended, refresh token revoked (RFC 6749 §5.2 invalid_grant), the old password gone.
    expect(await latch.latch.store.sessions.listBySub(user.sub, Math.floor(Date.now() / 1000))).toEqual([]);
    const refreshed = client.refreshTokenGrant(config, tokens.refresh_token!);
    await expect(refreshed).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await signedIn.navigate(codeFlowUrl(latch, app), { stopAt: app.redirectUri });
    expect(again.kind).toBe('page');
    const fresh = await appTokens(latch, app, { ...user, password: NEW_PASSWORD }, new FetchBrowser());
    expect(fresh.tokens.claims()?.sub).toBe(user.sub);
    await expect(appTokens(latch, app, user, new FetchBrowser())).rejects.toThrow();

    // Once only.
    await page.goto(link);
    expect(await page.textContent('[role="alert"]')).toMatch(/expired or was already used/);
    await page.screenshot({ path: join(shots, '6-reset-link-used.png'), fullPage: true });
    const changed = await smtp.waitFor(user.email, { since: 1 });
    expect(changed.subject).toBe('Your Latch password was changed');
    const types = (await latch.latch.store.events.page({ sub: user.sub }, { limit: 50 })).items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['password.reset_requested', 'password.reset']));
    expect(cspViolations).toEqual([]);
  });

  it('refuses a link after it expired', async () => {
    const since = smtp.count(user.email);
    expect((await askForLink(latch, user.email)).status).toBe(200);
    const link = linkIn(await smtp.waitFor(user.email, { since }), `${latch.issuer}/password/reset?token=`);
    // 30 minutes later, as far as the store can tell.
    await latch.latch.store.kysely.updateTable('account_tokens').set({ expires_at: Math.floor(Date.now() / 1000) - 1 }).execute();
    const res = await fetch(link);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/expired or was already used/);
  });

  it('gives an unknown address the same page and sends nothing', async () => {
    const known = await askForLink(latch, user.email);
    const unknown = await askForLink(latch, 'nobody@example.com');
    expect(unknown.status).toBe(known.status);
    expect(unknown.body.replace('nobody@example.com', '<email>')).toBe(known.body.replace(user.email, '<email>'));
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(smtp.count('nobody@example.com')).toBe(0);
  });

  it('refuses a reset form from another browser (CSRF) and a link that is not one', async () => {
    const res = await fetch(`${latch.issuer}/password/forgot`, { method: 'POST', body: new URLSearchParams({ email: user.email }) });
    expect(res.status).toBe(403);
    const reset = await fetch(`${latch.issuer}/password/reset`, { method: 'POST', body: new URLSearchParams({ token: 'x'.repeat(43), password: 'p'.repeat(20), password2: 'p'.repeat(20) }) });
    expect(reset.status).toBe(403);
    const resend = await fetch(`${latch.issuer}/verify-email/resend`, { method: 'POST', body: new URLSearchParams({ email: user.email }) });
    expect(resend.status).toBe(403);
    expect((await fetch(`${latch.issuer}/password/reset?token=not-a-token`)).status).toBe(400);
    expect((await fetch(`${latch.issuer}/password/reset`)).status).toBe(400);
  });
});

describe('password reset limits', () => {
  let latch: TestServer;
  beforeAll(async () => {
    latch = await startTestServer();
  });
  afterAll(async () => latch?.close());

  it('limits links per typed address and per network address, with 429 and Retry-After, known or not', async () => {
    for (let i = 0; i < 3; i++) expect((await askForLink(latch, 'someone@example.com')).status).toBe(200);
    const limited = await askForLink(latch, 'someone@example.com');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatch(/Too many requests for a link/);
    // The same network address, other addresses: ten in the window, then no more.
    for (let i = 0; i < 7; i++) expect((await askForLink(latch, `other-${i}@example.com`)).status).toBe(200);
    expect((await askForLink(latch, 'one-more@example.com')).status).toBe(429);
  });
});

describe('password reset pages in every language', () => {
  let latch: TestServer;
  beforeAll(async () => {
    latch = await startTestServer();
  });
  afterAll(async () => latch?.close());

  it('speaks the language of the browser', async () => {
    const expected = { en: 'Reset your password', de: 'Passwort zurücksetzen', fr: 'Réinitialiser votre mot de passe', es: 'Restablecer tu contraseña' };
    for (const [language, heading] of Object.entries(expected)) {
      const res = await fetch(`${latch.issuer}/password/forgot`, { headers: { 'accept-language': language } });
      const body = await res.text();
      expect(body).toContain(`<html lang="${language}">`);
      expect(body).toContain(heading);
    }
  });
});
