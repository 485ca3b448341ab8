import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Browser as FetchBrowser } from '../helpers/browser.js';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { discover } from '../helpers/rp.js';
import { freePort, PASSWORD, startTestServer, type TestClient, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from './account-smtp.js';

/**
 * Issue 13, sign-up: with LATCH_SIGNUP=open a person creates an account from the login page of an application,
 * verifies the address from the mail a real SMTP server received (in Chromium), and then signs in to the app.
 * Off (the default): no link and a 404. A domain outside LATCH_SIGNUP_DOMAINS is refused; an address that has an
 * account gets the same page and its owner a mail.
 */
describe.skipIf(!chromiumAvailable)('sign-up in Chromium against a real SMTP server', () => {
  let smtp: TestSmtp;
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  const shots = screenshotDir('signup');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    latch = await startTestServer({ signup: 'open', signupDomains: 'example.com,example.org', smtpUrl: smtp.url });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
    await smtp?.close();
  });

  async function startAtApp(page: Page) {
    const config = await discover(latch, app);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid email profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await page.goto(url.href);
    return { config, verifier, state };
  }

  async function signIn(page: Page, email: string, password: string): Promise<number> {
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(password);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/login'));
    await page.locator('form button[type="submit"]').first().click();
    return (await answer).status();
  }

  it('creates an account from the login page, verifies it from the mail, then signs in to the app', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    await startAtApp(page);
    await page.screenshot({ path: join(shots, '1-login-with-links.png'), fullPage: true });
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect.poll(() => page.url()).toMatch(/\/signup\?interaction=/);
    expect(await page.textContent('body')).toContain('Photo album');

    // The policy is applied before anything is stored: a common password is refused, in words.
    await page.locator('input[name="name"]').fill('Mary Somerville');
    await page.locator('input[name="email"]').fill('mary@example.com');
    await page.locator('input[name="password"]').fill('password123');
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('[role="alert"]')).toMatch(/most common passwords/);
    await page.screenshot({ path: join(shots, '2-signup-refused-password.png'), fullPage: true });

    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your email');
    expect(await page.textContent('body')).toContain('mary@example.com');
    await page.screenshot({ path: join(shots, '3-signup-check-email.png'), fullPage: true });
    const user = await latch.latch.store.users.findByEmail('mary@example.com');
    expect(user).toMatchObject({ emailVerified: false, profile: { name: 'Mary Somerville' } });

    // Before the link: the right password is not enough, the page says why and offers the link again.
    const first = await smtp.waitFor('mary@example.com');
    expect(first.subject).toBe('Verify your email address for Latch');
    await startAtApp(page);
    expect(await signIn(page, 'mary@example.com', PASSWORD)).toBe(403);
    expect(await page.textContent('[role="alert"]')).toMatch(/Verify your email address before you sign in/);
    await page.screenshot({ path: join(shots, '4-login-unverified-resend.png'), fullPage: true });
    await page.getByRole('button', { name: 'Send the link again' }).click();
    await expect.poll(() => page.textContent('body')).toMatch(/we sent a new link/);
    await page.screenshot({ path: join(shots, '4b-verification-resent.png'), fullPage: true });
    const second = await smtp.waitFor('mary@example.com', { since: 1 });

    // Only the newest link works; the first one was replaced.
    await page.goto(linkIn(first, `${latch.issuer}/verify-email?`));
    expect(await page.textContent('[role="alert"]')).toMatch(/expired or was already used/);
    await page.goto(linkIn(second, `${latch.issuer}/verify-email?`));
    await expect.poll(() => page.textContent('h1')).toBe('Your email address is verified');
    await page.screenshot({ path: join(shots, '5-email-verified.png'), fullPage: true });
    expect((await latch.latch.store.users.findByEmail('mary@example.com'))?.emailVerified).toBe(true);
    const events = await latch.latch.store.events.page({ type: 'user.email_verified' }, { limit: 10 });
    expect(events.items.map((e) => e.sub)).toContain(user!.sub);

    // Back in the app's journey: sign in, consent, and the app gets an ID token for the new account.
    await startAtApp(page);
    const signedIn = page.waitForURL((url) => url.href.startsWith(app.redirectUri), { waitUntil: 'commit' });
    expect(await signIn(page, 'mary@example.com', PASSWORD)).toBe(303);
    const consent = page.locator('button[name="decision"][value="allow"]');
    if (await consent.isVisible().catch(() => false)) await consent.click();
    await signedIn;
    expect(cspViolations).toEqual([]);
  });

  it('continues to the application through the verified page after signing up within its journey', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    const flow = await startAtApp(page);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.locator('input[name="email"]').fill('caroline@example.org');
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your email');
    const mail = await smtp.waitFor('caroline@example.org');
    await page.goto(linkIn(mail, `${latch.issuer}/verify-email?`));
    await page.getByRole('link', { name: 'Continue' }).click();
    // The journey the person started at the app: its login page, then consent, then the app.
    await expect.poll(() => page.url()).toMatch(/\/interaction\//);
    let callback = '';
    page.on('request', (r) => r.url().startsWith(app.redirectUri) && (callback = r.url()));
    expect(await signIn(page, 'caroline@example.org', PASSWORD)).toBe(303);
    const allow = page.locator('button[name="decision"][value="allow"]');
    await expect.poll(async () => callback !== '' || (await allow.isVisible().catch(() => false))).toBe(true);
    if (!callback) await allow.click();
    await expect.poll(() => callback).not.toBe('');
    const tokens = await client.authorizationCodeGrant(flow.config, new URL(callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const claims = tokens.claims()!;
    expect(claims.email).toBe('caroline@example.org');
    expect(claims.email_verified).toBe(true);
    expect(claims.sub).toBe((await latch.latch.store.users.findByEmail('caroline@example.org'))?.sub);
  });

  it('refuses an email domain that is not allowed, and stores and sends nothing', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    await page.goto(`${latch.issuer}/signup`);
    await page.screenshot({ path: join(shots, '6-signup.png'), fullPage: true });
    await page.locator('input[name="email"]').fill('eve@elsewhere.test');
    await page.locator('input[name="password"]').fill(PASSWORD);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.locator('form button[type="submit"]').click();
    expect((await answer).status()).toBe(400);
    expect(await page.textContent('[role="alert"]')).toMatch(/cannot be created here/);
    await page.screenshot({ path: join(shots, '7-signup-domain-refused.png'), fullPage: true });
    expect(await latch.latch.store.users.findByEmail('eve@elsewhere.test')).toBeUndefined();
    expect(smtp.count('eve@elsewhere.test')).toBe(0);
  });

  it('answers an address that has an account like a new one, and tells its owner instead', async () => {
    const owner = await latch.user({ email: 'ada@example.com' });
    const browser = new FetchBrowser();
    const form = async () => {
      const page = await browser.request(`${latch.issuer}/signup`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      return csrf;
    };
    const submit = async (email: string) => {
      const res = await browser.request(`${latch.issuer}/signup`, { method: 'POST', body: new URLSearchParams({ csrf: await form(), email, password: PASSWORD, name: '' }) });
      return { status: res.status, text: res.body.replace(email, '<email>') };
    };
    const existing = await submit(owner.email);
    const fresh = await submit('newcomer@example.com');
    expect(existing.status).toBe(200);
    expect(existing.text).toBe(fresh.text);
    const told = await smtp.waitFor(owner.email);
    expect(told.subject).toBe('Someone tried to create a Latch account with your address');
    expect(linkIn(told, `${latch.issuer}/password/forgot`)).toBeTruthy();
    expect((await latch.latch.store.users.findByEmail(owner.email))?.sub).toBe(owner.sub);
  });

  it('keeps an account an operator made without a verified address signing in (no lock-out when sign-up opens)', async () => {
    const person = await latch.user({ email: 'operator-made@example.com', emailVerified: false });
    const config = await discover(latch, app);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid email',
      state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const result = await new FetchBrowser().authorize(url, { stopAt: app.redirectUri, credentials: person, decision: 'allow' });
    expect(result.sawLogin).toBe(true);
    expect(result.params.get('code')).toBeTruthy();
    expect(result.params.get('error')).toBeNull();
  });

  it('refuses a sign-up form from another browser (CSRF)', async () => {
    const res = await fetch(`${latch.issuer}/signup`, { method: 'POST', body: new URLSearchParams({ email: 'x@example.com', password: PASSWORD }) });
    expect(res.status).toBe(403);
    expect(await latch.latch.store.users.findByEmail('x@example.com')).toBeUndefined();
  });
});

describe('sign-up off (the default)', () => {
  let latch: TestServer;
  beforeAll(async () => {
    latch = await startTestServer();
  });
  afterAll(async () => latch?.close());

  it('has no sign-up page and no link to it, but keeps "Forgot password?"', async () => {
    expect((await fetch(`${latch.issuer}/signup`)).status).toBe(404);
    const post = await fetch(`${latch.issuer}/signup`, { method: 'POST', body: new URLSearchParams({ email: 'a@example.com', password: PASSWORD }) });
    expect(post.status).toBe(404);
    const app = await latch.client({ kind: 'web' });
    const browser = new FetchBrowser();
    const url = new URL(`${latch.issuer}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: app.clientId, redirect_uri: app.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) url.searchParams.set(k, v);
    const result = await browser.navigate(url, { stopAt: app.redirectUri });
    if (result.kind !== 'page') throw new Error('expected the login page');
    expect(result.page.body).not.toContain('/signup');
    expect(result.page.body).toContain('href="/password/forgot"');
  });

  it('fails at start on a wrong value, naming the key', () => {
    expect(() => loadConfig({ LATCH_SIGNUP: 'yes' })).toThrowError(/LATCH_SIGNUP .*must be open or off/);
    expect(() => loadConfig({ LATCH_SIGNUP_VERIFY: 'maybe' })).toThrowError(/LATCH_SIGNUP_VERIFY/);
    expect(() => loadConfig({ LATCH_SIGNUP_DOMAINS: 'example.com,not a domain' })).toThrowError(/LATCH_SIGNUP_DOMAINS .*"not a domain"/);
    expect(loadConfig({ LATCH_SIGNUP: 'open', LATCH_SIGNUP_DOMAINS: 'Example.COM, @example.org' }).signupDomains).toEqual(['example.com', 'example.org']);
  });
});

describe('sign-up when the mail cannot be sent', () => {
  let latch: TestServer;
  beforeAll(async () => {
    // Nothing listens there: the SMTP connection is refused.
    latch = await startTestServer({ signup: 'open', smtpUrl: `smtp://127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => latch?.close());

  it('says to try again (503, Retry-After) in the page language, never a 500', async () => {
    const browser = new FetchBrowser();
    const form = await browser.request(`${latch.issuer}/signup`, { headers: { 'accept-language': 'de' } });
    expect(form.body).toContain('Konto erstellen');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const res = await browser.request(`${latch.issuer}/signup`, {
      method: 'POST',
      headers: { 'accept-language': 'de' },
      body: new URLSearchParams({ csrf, email: 'lisa@example.com', password: PASSWORD, name: 'Lisa Meitner' }),
    });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body).toContain('Die E-Mail konnte gerade nicht gesendet werden');
  });
});

describe('sign-up without verification (LATCH_SIGNUP_VERIFY=false)', () => {
  let latch: TestServer;
  beforeAll(async () => {
    latch = await startTestServer({ signup: 'open', signupVerify: false });
  });
  afterAll(async () => latch?.close());

  it('signs the new account in and continues the journey to the application', async () => {
    const app = await latch.client({ kind: 'web' });
    const browser = new FetchBrowser();
    const url = new URL(`${latch.issuer}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: app.clientId, redirect_uri: app.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) url.searchParams.set(k, v);
    const login = await browser.navigate(url, { stopAt: app.redirectUri });
    if (login.kind !== 'page') throw new Error('expected the login page');
    const id = /\/interaction\/([A-Za-z0-9_-]{43})/.exec(login.page.url.pathname)?.[1];
    expect(login.page.body).toContain(`href="/signup?interaction=${id}"`);
    const form = await browser.request(`${latch.issuer}/signup?interaction=${id}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const created = await browser.request(`${latch.issuer}/signup?interaction=${id}`, { method: 'POST', body: new URLSearchParams({ csrf, email: 'emmy@example.net', password: PASSWORD, name: 'Emmy Noether' }) });
    expect(created.status).toBe(303);
    expect(created.location?.pathname).toBe(`/interaction/${id}`);
    const next = await browser.navigate(created.location!, { stopAt: app.redirectUri });
    // Signed in: the journey asks for consent (or goes straight back), never for the password again.
    if (next.kind === 'page') expect(next.page.body).toContain('name="decision"');
    const user = await latch.latch.store.users.findByEmail('emmy@example.net');
    expect(user?.emailVerified).toBe(false);
    expect(await latch.latch.store.sessions.listBySub(user!.sub, Math.floor(Date.now() / 1000))).toHaveLength(1);
  });
});
