import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { FULL_SCOPE } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from './account-smtp.js';

/**
 * Issue 13, the account page in Chromium: sign-in required (and back to where the person was going), profile edit,
 * password change (asks the current one; other sessions end), email change through a link to the new address,
 * sessions seen and ended, and an application revoked there: its refresh token then fails (openid-client as the app).
 */
describe.skipIf(!chromiumAvailable)('the account page in Chromium', () => {
  let smtp: TestSmtp;
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  const shots = screenshotDir('account');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    latch = await startTestServer({ smtpUrl: smtp.url });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
    await smtp?.close();
  });

  const now = () => Math.floor(Date.now() / 1000);

  async function fillLogin(page: Page, user: TestUser, password = user.password): Promise<number> {
    await page.locator('input[name="email"]').fill(user.email);
    await page.locator('input[name="password"]').fill(password);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/login'));
    await page.locator('form button[type="submit"]').first().click();
    return (await answer).status();
  }

  /** A browser signed in at /account. */
  async function signedInPage(user: TestUser): Promise<Page> {
    const page = await pageWithCspWatch(browser, cspViolations);
    await page.goto(`${latch.issuer}/account`);
    expect(await fillLogin(page, user)).toBe(303);
    await expect.poll(() => page.textContent('h1')).toBe('Your account');
    return page;
  }

  /** The app signs the person in through `page` (consenting when asked) and gets tokens, openid-client as the app. */
  async function signInToApp(page: Page, user: TestUser) {
    const config = await discover(latch, app, {}, client.ClientSecretBasic(app.clientSecret!));
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: FULL_SCOPE,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    let callback = '';
    const watch = (r: { url(): string }) => void (r.url().startsWith(app.redirectUri) && (callback = r.url()));
    page.on('request', watch);
    await page.goto(url.href);
    if (await page.locator('input[name="password"]').isVisible()) await fillLogin(page, user);
    const allow = page.locator('button[name="decision"][value="allow"]');
    await expect.poll(async () => callback !== '' || (await allow.isVisible().catch(() => false))).toBe(true);
    if (!callback) await allow.click();
    await expect.poll(() => callback).not.toBe('');
    page.off('request', watch);
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    return { config, tokens };
  }

  it('sends a person without a session to sign in, and back to the account path only', async () => {
    const user = await latch.user();
    const page = await pageWithCspWatch(browser, cspViolations);
    await page.goto(`${latch.issuer}/account`);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/account/login?return_to=%2Faccount');
    expect(await page.textContent('.lead')).toMatch(/Your account/);
    await page.screenshot({ path: join(shots, '1-account-login.png'), fullPage: true });
    expect(await fillLogin(page, user, 'wrong password')).toBe(401);
    expect(await fillLogin(page, user)).toBe(303);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');

    // return_to is a path of the account pages or nothing: elsewhere, /account.
    const other = await pageWithCspWatch(browser, cspViolations);
    await other.goto(`${latch.issuer}/account/login?return_to=${encodeURIComponent('https://evil.example/account')}`);
    expect(await fillLogin(other, user)).toBe(303);
    await expect.poll(() => other.url()).toBe(`${latch.issuer}/account`);
    const res = await fetch(`${latch.issuer}/account/login?return_to=//evil.example`, { redirect: 'manual' });
    expect(await res.text()).not.toContain('evil.example');
  });

  it('revoking an application there makes its refresh token fail', async () => {
    const user = await latch.user();
    const page = await pageWithCspWatch(browser, cspViolations);
    const { config, tokens } = await signInToApp(page, user);
    expect(tokens.refresh_token).toBeTruthy();
    await page.goto(`${latch.issuer}/account`);
    const item = page.locator(`li[data-client-id="${app.clientId}"]`);
    expect(await item.locator('.account-app-name').textContent()).toBe('Photo album');
    await page.screenshot({ path: join(shots, '2-account.png'), fullPage: true });

    await item.getByRole('button', { name: 'Remove access' }).click();
    await expect.poll(() => page.textContent('[role="status"]')).toBe('Photo album no longer has access to your account.');
    await page.screenshot({ path: join(shots, '3-application-revoked.png'), fullPage: true });
    expect(await page.locator(`li[data-client-id="${app.clientId}"]`).count()).toBe(0);
    // RFC 6749 §5.2: the grant is gone with every token issued from it.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await latch.latch.store.consents.find(user.sub, app.clientId)).toBeUndefined();
    const types = (await latch.latch.store.events.page({ sub: user.sub }, { limit: 50 })).items.map((e) => e.type);
    expect(types).toContain('grant.revoked');
  });

  it('edits the profile', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    await page.locator('input[name="name"]').fill('Ada King, Countess of Lovelace');
    await page.locator('input[name="given_name"]').fill('Augusta Ada');
    await page.locator('input[name="family_name"]').fill('King');
    await page.locator('input[name="locale"]').fill('de-CH');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => page.textContent('[role="status"]')).toBe('Your profile was saved.');
    await page.screenshot({ path: join(shots, '4-profile-saved.png'), fullPage: true });
    expect((await latch.latch.store.users.findBySub(user.sub))?.profile).toMatchObject({ name: 'Ada King, Countess of Lovelace', given_name: 'Augusta Ada', family_name: 'King', locale: 'de-CH' });
  });

  it('changes the password after the current one, and ends the other sessions', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    const elsewhere = await signedInPage(user);
    await page.locator('#password input[name="current_password"]').fill('not my password');
    await page.locator('input[name="new_password"]').fill('another long passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.textContent('#password [role="alert"]')).toBe('The current password is not right.');
    await page.screenshot({ path: join(shots, '5-password-wrong-current.png'), fullPage: true });

    await page.locator('#password input[name="current_password"]').fill(user.password);
    await page.locator('input[name="new_password"]').fill('another long passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.textContent('[role="status"]')).toMatch(/Your password was changed/);
    expect(await latch.latch.store.sessions.listBySub(user.sub, now())).toHaveLength(1);
    await elsewhere.goto(`${latch.issuer}/account`);
    expect(new URL(elsewhere.url()).pathname).toBe('/account/login');
    expect(await fillLogin(elsewhere, user)).toBe(401);
    expect(await fillLogin(elsewhere, { ...user, password: 'another long passphrase' })).toBe(303);
    expect((await smtp.waitFor(user.email)).subject).toBe('Your Latch password was changed');
  });

  it('shows the sessions, this one marked, and ends another', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    const elsewhere = await signedInPage(user);
    await page.reload();
    expect(await page.locator('#sessions li').count()).toBe(2);
    expect(await page.locator('#sessions li.account-item-current').textContent()).toMatch(/This browser/);
    await page.screenshot({ path: join(shots, '6-sessions.png'), fullPage: true });
    await page.locator('#sessions li:not(.account-item-current)').getByRole('button', { name: 'Sign out there' }).click();
    await expect.poll(() => page.textContent('[role="status"]')).toBe('That session was ended.');
    expect(await page.locator('#sessions li').count()).toBe(1);
    await elsewhere.goto(`${latch.issuer}/account`);
    expect(new URL(elsewhere.url()).pathname).toBe('/account/login');
    // Ending this browser's own session signs it out.
    await page.locator('#sessions li.account-item-current').getByRole('button', { name: 'Sign out there' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/login');
  });

  it('changes the email address only once the link sent to the new one is opened', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    const next = `new-${user.email}`;
    await page.locator('input[name="new_email"]').fill(next);
    await page.locator('#email input[name="current_password"]').fill(user.password);
    await page.getByRole('button', { name: 'Change email address' }).click();
    await expect.poll(() => page.textContent('[role="status"]')).toBe(`We sent a link to ${next}. Your address changes when you open it.`);
    await page.screenshot({ path: join(shots, '7-email-link-sent.png'), fullPage: true });
    expect((await latch.latch.store.users.findBySub(user.sub))?.email).toBe(user.email);
    const mail = await smtp.waitFor(next);
    await page.goto(linkIn(mail, `${latch.issuer}/verify-email?`));
    await expect.poll(() => page.textContent('body')).toMatch(`Your account now uses ${next}.`);
    await page.screenshot({ path: join(shots, '8-email-changed.png'), fullPage: true });
    expect(await latch.latch.store.users.findBySub(user.sub)).toMatchObject({ email: next, emailVerified: true });
  });

  it('confirms the password again to refresh the authentication time, then goes back', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    const before = (await latch.latch.store.sessions.listBySub(user.sub, now()))[0]!;
    await latch.latch.store.kysely.updateTable('sessions').set({ auth_time: before.authTime - 600 }).where('sid', '=', before.sid).execute();
    await page.goto(`${latch.issuer}/account/confirm?return_to=${encodeURIComponent('/account/security')}`);
    await page.screenshot({ path: join(shots, '9-confirm.png'), fullPage: true });
    await page.locator('input[name="password"]').fill('wrong');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.textContent('[role="alert"]')).toBe('The current password is not right.');
    await page.locator('input[name="password"]').fill(user.password);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account/security');
    const [after] = await latch.latch.store.sessions.listBySub(user.sub, now());
    expect(after!.authTime).toBeGreaterThanOrEqual(before.authTime);
    expect(after!.sid).not.toBe(before.sid);
  });

  it("cannot end another person's session", async () => {
    const mallory = await latch.user();
    const victim = await latch.user();
    const page = await signedInPage(mallory);
    await signedInPage(victim);
    const [session] = await latch.latch.store.sessions.listBySub(victim.sub, now());
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    const res = await page.context().request.post(`${latch.issuer}/account/sessions/end`, { form: { csrf: csrf!, sid: session!.sid }, maxRedirects: 0 });
    expect(res.status()).toBe(200);
    expect(await latch.latch.store.sessions.findBySid(session!.sid, now())).toBeDefined();
  });

  it('refuses every account form without its CSRF token', async () => {
    const user = await latch.user();
    const page = await signedInPage(user);
    for (const path of ['/account/profile', '/account/password', '/account/email', '/account/sessions/end', '/account/applications/revoke', '/account/confirm']) {
      const res = await page.context().request.post(`${latch.issuer}${path}`, { form: { name: 'Mallory', sid: 'x', client_id: app.clientId }, maxRedirects: 0 });
      expect(res.status(), path).toBe(403);
    }
    expect((await latch.latch.store.users.findBySub(user.sub))?.profile.name).toBe('Ada Lovelace');
    expect(cspViolations).toEqual([]);
  });
});
