import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/tokens/hash.js';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { enrolTotp, finishSignIn, startLocalhostLatch, startSignIn, totpCode, typeCode, typePassword } from './step-up-helpers.js';

/**
 * Issue 13, security fix, in Chromium: the account pages honour second factors. A person with an authenticator app
 * who signs in at /account/login is asked the code before any session exists (a wrong code 401, then 429 with
 * Retry-After; the right one reaches /account with amr pwd+otp+mfa); the pending first factor cannot be used for a
 * second sign-in; a session made with the password only (an app that did not ask the factor) cannot remove the app
 * at /account/security: it is sent to /account/confirm, which asks the password and then the code. A person without
 * a second factor still signs in with the password only.
 */
describe.skipIf(!chromiumAvailable)('the account pages ask for the second factor', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  let ada: TestUser;
  let bob: TestUser;
  let adaSecret = '';
  let adaCodes: string[] = [];
  const shots = screenshotDir('account-factor');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch();
    ada = await latch.user({ email: 'ada@example.com' });
    bob = await latch.user({ email: 'bob@example.com' });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  /** Fills the password form on the page (login or confirm) and submits it; the status of the POST. */
  async function submitPassword(page: Page, user: TestUser): Promise<number> {
    const email = page.locator('input[name="email"]:not([hidden])');
    if ((await email.count()) > 0) await email.fill(user.email);
    await page.locator('input[name="password"]').fill(user.password);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/account\/(login|confirm)$/.test(new URL(r.url()).pathname));
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
    return (await answer).status();
  }

  /** Submits a code in the code form and returns the status of the POST. */
  async function submitCode(page: Page, code: string, selector = '#totp-code'): Promise<number> {
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/account/factor/'));
    await typeCode(page, code, selector);
    return (await answer).status();
  }

  async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies()).find((c) => c.name === 'latch_session')?.value;
  }

  /** The session of this browser, from the store. */
  async function sessionOf(page: Page) {
    const value = await sessionCookie(page.context());
    return value ? latch.latch.store.sessions.find(digest(value), Math.floor(Date.now() / 1000)) : undefined;
  }

  /** Signs in at /account/login with the password only (the person has no factor) and sets up an authenticator app. */
  async function enrolAtSecurity(user: TestUser): Promise<{ secret: string; codes: string[] }> {
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account/security`);
    expect(await submitPassword(page, user)).toBe(303);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set up an authenticator app' }).click()]);
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
    await typeCode(page, totpCode(secret));
    const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    await page.context().close();
    return { secret, codes };
  }

  it('signs a person without a second factor in with the password only', async () => {
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account`);
    expect(await submitPassword(page, ada)).toBe(303);
    await expect.poll(() => page.textContent('h1')).toBe('Your account');
    expect((await sessionOf(page))?.amr).toEqual(['pwd']);
    await page.context().close();
    const enrolled = await enrolAtSecurity(ada);
    adaSecret = enrolled.secret;
    adaCodes = enrolled.codes;
    expect((await latch.latch.store.totpSecrets.find(ada.sub))?.confirmedAt).not.toBeNull();
  });

  it('asks a person with an authenticator app for the code at /account/login: no session before it, 401 for a wrong one', async () => {
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account/security`);
    expect(await submitPassword(page, ada)).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/account/factor');
    await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    // The password alone gave no session: the account pages still send this browser to sign in.
    expect(await sessionCookie(page.context())).toBeUndefined();
    const cookies = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const probe = await fetch(`${latch.issuer}/account/security`, { redirect: 'manual', headers: { cookie: cookies } });
    expect(probe.status).toBe(303);
    expect(probe.headers.get('location')).toMatch(/^\/account\/login/);
    await page.screenshot({ path: join(shots, '1-code-asked.png'), fullPage: true });

    const wrong = totpCode(adaSecret, 1) === '123456' ? '654321' : '123456';
    expect(await submitCode(page, wrong)).toBe(401);
    expect(await page.textContent('[role="alert"]')).toContain('not right');
    await page.screenshot({ path: join(shots, '2-wrong-code.png'), fullPage: true });

    // The pending password step is bound to this browser: taken to another browser (with its own CSRF token), nothing.
    const pending = (await page.context().cookies()).find((c) => c.name === 'latch_account_factor');
    expect(pending).toBeDefined();
    const other = await fetch(`${latch.issuer}/account/login`);
    const otherBrowser = /latch_browser=([^;]+)/.exec(other.headers.get('set-cookie') ?? '')?.[1];
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec(await other.text())?.[1];
    expect(otherBrowser && otherCsrf).toBeTruthy();
    const stolen = await fetch(`${latch.issuer}/account/factor/totp`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `latch_browser=${otherBrowser}; latch_account_factor=${pending?.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: otherCsrf as string, code: totpCode(adaSecret, 1) }).toString(),
    });
    expect(stolen.status).toBe(303);
    expect(stolen.headers.get('location')).toMatch(/^\/account\/login/);
    expect(stolen.headers.get('set-cookie') ?? '').not.toContain('latch_session=');

    expect(await submitCode(page, totpCode(adaSecret, 1))).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/account/security');
    expect(await page.textContent('#totp-status')).toContain('On');
    expect((await sessionOf(page))?.amr).toEqual(['pwd', 'otp', 'mfa']);
    const events = (await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 })).items;
    expect(events.some((e) => e.type === 'factor.failed' && e.data.via === 'account')).toBe(true);
    expect(events.some((e) => e.type === 'login.succeeded' && e.data.via === 'account' && e.data.method === 'totp')).toBe(true);
    await page.context().close();
  });

  it('uses the pending password step once: it cannot be replayed into a second sign-in', async () => {
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account`);
    expect(await submitPassword(page, ada)).toBe(303);
    await page.locator('summary').click();
    const before = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await page.locator('#recovery-code').locator('xpath=ancestor::form').locator('input[name="csrf"]').inputValue();
    expect(await submitCode(page, adaCodes[0] as string, '#recovery-code')).toBe(303);
    await expect.poll(() => page.textContent('h1')).toBe('Your account');
    // The same pending value, browser and CSRF token again, with another good recovery code: no second session.
    const sessionsBefore = (await latch.latch.store.sessions.listBySub(ada.sub, Math.floor(Date.now() / 1000))).length;
    const replay = await fetch(`${latch.issuer}/account/factor/recovery`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: before, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, code: adaCodes[1] as string }).toString(),
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/account\/login/);
    expect(replay.headers.get('set-cookie') ?? '').not.toContain('latch_session=');
    expect((await latch.latch.store.sessions.listBySub(ada.sub, Math.floor(Date.now() / 1000))).length).toBe(sessionsBefore);
    const types = (await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types).toContain('factor.recovery_used');
    await page.context().close();
  });

  it('does not let a password-only session remove the authenticator app: confirm asks the password, then the code', async () => {
    const page = await pageWithCspWatch(browser, csp);
    // An application that does not ask for a second factor: the journey signs in with the password only.
    const started = await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    await finishSignIn(page, latch, app, started);
    expect((await sessionOf(page))?.amr).toEqual(['pwd']);

    // Nor change the password (how the account is recovered) with the password alone.
    await page.goto(`${latch.issuer}/account`);
    await page.locator('#current_password').fill(ada.password);
    await page.locator('#new_password').fill('a brand new passphrase of the attacker');
    await Promise.all([page.waitForNavigation(), page.locator('#new_password').locator('xpath=ancestor::form').locator('button[type="submit"]').click()]);
    expect(page.url()).toBe(`${latch.issuer}/account/confirm?return_to=%2Faccount`);
    const types0 = (await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types0).not.toContain('password.changed');

    await page.goto(`${latch.issuer}/account/security`);
    await Promise.all([page.waitForNavigation(), page.locator('#totp-status + form button').click()]);
    expect(page.url()).toBe(`${latch.issuer}/account/confirm?return_to=%2Faccount%2Fsecurity`);
    expect((await latch.latch.store.totpSecrets.find(ada.sub))?.confirmedAt).not.toBeNull();

    expect(await submitPassword(page, ada)).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/account/factor');
    await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    await page.screenshot({ path: join(shots, '3-confirm-asks-code.png'), fullPage: true });
    // The app's code of this time step was used by the sign-in above (never twice): a recovery code answers here.
    await page.locator('summary').click();
    expect(await submitCode(page, adaCodes[2] as string, '#recovery-code')).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/account/security');
    expect((await sessionOf(page))?.amr).toEqual(['pwd', 'otp', 'mfa']);
    const types = (await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types).toContain('session.reauthenticated');

    // Both factors, recently: now the change goes through.
    await Promise.all([page.waitForNavigation(), page.locator('#totp-status + form button').click()]);
    expect(await page.textContent('#totp-status')).toContain('Not set up');
    expect(await latch.latch.store.totpSecrets.find(ada.sub)).toBeUndefined();
    await page.context().close();
  });

  it('answers the passkey calls without the CSRF token or a pending sign-in in JSON, and a code form without one by starting again', async () => {
    const post = (path: string, body: unknown, cookie = '') =>
      fetch(`${latch.issuer}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    const noCsrf = await post('/account/factor/passkey/authenticate-options', {});
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toEqual({ error: expect.any(String) });
    const fresh = await fetch(`${latch.issuer}/account/login`);
    const browserValue = /latch_browser=([^;]+)/.exec(fresh.headers.get('set-cookie') ?? '')?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await fresh.text())?.[1];
    const noPending = await post('/account/factor/passkey/authenticate', { csrf, response: {} }, `latch_browser=${browserValue}`);
    expect(noPending.status).toBe(200);
    expect(await noPending.json()).toEqual({ redirect: '/account/login' });
    const forged = await fetch(`${latch.issuer}/account/factor/totp`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `latch_browser=${browserValue}; latch_account_factor=e30.AAAA`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf as string, code: '123456' }).toString(),
    });
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toMatch(/^\/account\/login/);
    expect((await fetch(`${latch.issuer}/account/factor`, { redirect: 'manual' })).status).toBe(303);
  });

  it('throttles wrong codes at /account/factor with 429 and Retry-After', async () => {
    const { secret } = await enrolAtSecurity(bob);
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account`);
    expect(await submitPassword(page, bob)).toBe(303);
    let last = 0;
    for (let i = 0; i < 8 && last !== 429; i++) {
      last = await submitCode(page, totpCode(secret, 1) === '123456' ? '654321' : '123456');
      if (last !== 429) expect(last).toBe(401);
    }
    expect(last).toBe(429);
    await page.screenshot({ path: join(shots, '4-throttled.png'), fullPage: true });
    // Locked: even the right code is refused now, and nothing signs bob in.
    const right = page.waitForResponse((r) => r.url().endsWith('/account/factor/totp'));
    await typeCode(page, totpCode(secret, 1));
    const answer = await right;
    expect(answer.status()).toBe(429);
    expect(Number(answer.headers()['retry-after'])).toBeGreaterThan(0);
    expect(await sessionCookie(page.context())).toBeUndefined();
    const types = (await latch.latch.store.events.page({ sub: bob.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types).toContain('factor.throttled');
    await page.context().close();
    expect(csp).toEqual([]);
  });
});

/** LATCH_MFA=required: a person without a factor signing in at /account/login sets one up before any session. */
describe.skipIf(!chromiumAvailable)('the account pages with LATCH_MFA=required', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let browser: Browser;
  let cyd: TestUser;
  const shots = screenshotDir('account-factor');

  beforeAll(async () => {
    latch = await startLocalhostLatch({ mfa: 'required' });
    cyd = await latch.user({ email: 'cyd@example.com' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  it('has a person without a factor enrol an authenticator app at /account/factor, then signs them in with both', async () => {
    const csp: string[] = [];
    const page = await pageWithCspWatch(browser, csp);
    await page.goto(`${latch.issuer}/account`);
    await page.locator('input[name="email"]').fill(cyd.email);
    await page.locator('input[name="password"]').fill(cyd.password);
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
    expect(new URL(page.url()).pathname).toBe('/account/factor');
    await page.getByRole('heading', { name: 'Set up a second step' }).waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'latch_session')).toBe(false);
    await page.screenshot({ path: join(shots, '5-required-enrol.png'), fullPage: true });
    const { codes } = await enrolTotp(page);
    expect(codes).toHaveLength(10);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Continue' }).click()]);
    await expect.poll(() => page.textContent('h1')).toBe('Your account');
    const value = (await page.context().cookies()).find((c) => c.name === 'latch_session')?.value as string;
    expect((await latch.latch.store.sessions.find(digest(value), Math.floor(Date.now() / 1000)))?.amr).toEqual(['pwd', 'otp', 'mfa']);
    const types = (await latch.latch.store.events.page({ sub: cyd.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['factor.enrolled', 'login.succeeded']));
    expect(csp).toEqual([]);
    await page.context().close();
  });
});
