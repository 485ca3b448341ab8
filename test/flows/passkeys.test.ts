import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, screenshotDir } from '../helpers/chromium.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { finishSignIn, startLocalhostLatch, startSignIn, typePassword } from './step-up-helpers.js';

/**
 * Passkeys in real Chromium with the DevTools virtual authenticator (a platform authenticator with resident keys and
 * user verification), against a Latch on http://localhost (the RP ID is the issuer's host name): a passkey enrolled
 * during a sign-in that asks for `phr`, a passwordless sign-in with it, and the passkey as a second factor.
 */
describe.skipIf(!chromiumAvailable)('passkeys in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let phrApp: TestClient;
  let app: TestClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ada: TestUser;
  const shots = screenshotDir('passkeys');
  const csp: string[] = [];
  let cdp: CDPSession;
  let authenticatorId = '';

  /** Off: the authenticator waits for a touch that never comes, so the login page's conditional request stays pending. */
  async function presence(enabled: boolean): Promise<void> {
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
  }

  beforeAll(async () => {
    latch = await startLocalhostLatch(process.env.DEBUG_PASSKEYS ? { logLevel: 'info' } : {});
    ada = await latch.user({ email: 'ada@example.com' });
    phrApp = await latch.client({ kind: 'web', name: 'Bank', redirectUris: [`${latch.issuer}/signed-in`] });
    await latch.latch.store.clients.update(phrApp.clientId, {
      metadata: { ...(await latch.latch.store.clients.find(phrApp.clientId))!.metadata, default_acr_values: ['phr'] },
    });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
      if (process.env.DEBUG_PASSKEYS) console.log('[page]', m.text());
      if (/Content Security Policy|Refused to/i.test(m.text())) csp.push(m.text());
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  it('enrols a passkey during a sign-in to an app that needs phr, and the ID token says hwk+user', async () => {
    await presence(false);
    const started = await startSignIn(page, latch, phrApp);
    await page.screenshot({ path: join(shots, '1-login-with-passkey.png'), fullPage: true });
    expect(await page.locator('#email').getAttribute('autocomplete')).toBe('username webauthn');
    await typePassword(page, ada.email);
    await page.getByRole('heading', { name: 'Set up a second step' }).waitFor();
    expect(await page.textContent('body')).toContain('Bank asks for a passkey when you sign in');
    // Only a passkey reaches phr: no authenticator app offered.
    expect(await page.locator('#totp-secret').count()).toBe(0);
    await page.locator('#passkey-name').fill('Virtual laptop');
    await presence(true);
    await page.screenshot({ path: join(shots, '2-enrol-passkey.png'), fullPage: true });
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    const claims = await finishSignIn(page, latch, phrApp, started);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(claims.acr).toBe('phr');
    const stored = await latch.latch.store.passkeys.listBySub(ada.sub);
    expect(stored.map((p) => p.name)).toEqual(['Virtual laptop']);
  });

  it('signs in without a password with the passkey, offered in the email field (conditional UI)', async () => {
    await context.clearCookies();
    // The login page asks with mediation "conditional" as it loads; the virtual authenticator answers as if the
    // person picked the passkey from the email field's autofill: no click, no password.
    const started = await startSignIn(page, latch, app);
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.sub).toBe(ada.sub);
    // RFC 8176: a hardware-bound key and the person verified by the authenticator; no password.
    expect(claims.amr).toEqual(['hwk', 'user']);
    expect(claims.acr).toBe('phr');
    const stored = await latch.latch.store.passkeys.listBySub(ada.sub);
    expect(stored[0]?.lastUsedAt).not.toBeNull();
  });

  it('uses the passkey as the second factor of a password sign-in (step-up with acr_values)', async () => {
    await context.clearCookies();
    await presence(false);
    const started = await startSignIn(page, latch, app, { acr_values: 'urn:latch:acr:mfa' });
    await typePassword(page, ada.email);
    await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    await page.screenshot({ path: join(shots, '3-passkey-second-factor.png'), fullPage: true });
    await presence(true);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(claims.acr).toBe('phr');
  });

  it('for phr, asks the authenticator to verify the person (userVerification required); mfa only prefers it', async () => {
    const askedFor = async (client: TestClient, extra: Record<string, string> = {}) => {
      await context.clearCookies();
      await presence(false);
      await startSignIn(page, latch, client, extra);
      await typePassword(page, ada.email);
      const button = page.getByRole('button', { name: 'Use a passkey' });
      const [options, csrf] = [await button.getAttribute('data-options'), await button.getAttribute('data-csrf')];
      const answer = await page.evaluate(
        async ([url, token]) => (await fetch(url as string, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ csrf: token, mode: 'factor' }) })).json(),
        [options, csrf],
      );
      await presence(true);
      return (answer as { options: { userVerification: string } }).options.userVerification;
    };
    expect(await askedFor(phrApp)).toBe('required');
    expect(await askedFor(app, { acr_values: 'urn:latch:acr:mfa' })).toBe('preferred');
  });

  it('signs in without a password with the "Sign in with a passkey" button', async () => {
    await context.clearCookies();
    await presence(false);
    // A browser without passkey autofill (conditional mediation), where the button is the way in: otherwise the
    // virtual authenticator could answer the page's autofill request first and sign in before the button is pressed.
    // (The last tests of this file run in such a browser too; the conditional UI test is above.)
    await page.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = async () => false;');
    const started = await startSignIn(page, latch, app);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await presence(true);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['hwk', 'user']);
  });

  it('refuses a forged passkey answer, and a call without the CSRF token', async () => {
    await context.clearCookies();
    await presence(false);
    await startSignIn(page, latch, app);
    const action = (await page.locator('form').first().getAttribute('action')) ?? '';
    const base = new URL(action, latch.issuer).pathname.replace(/\/login$/, '');
    const noCsrf = await page.evaluate(async (url) => (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'login' }) })).status, `${base}/passkey/authenticate-options`);
    expect(noCsrf).toBe(403);
    const csrf = (await page.locator('input[name="csrf"]').first().inputValue()) ?? '';
    const bogus = await page.evaluate(
      async ([url, token]) => (await fetch(url as string, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ csrf: token, mode: 'login', response: { id: 'x', response: { clientDataJSON: 'e30' } } }) })).status,
      [`${base}/passkey/authenticate`, csrf],
    );
    expect(bogus).toBe(401);
    expect(csp).toEqual([]);
  });
});
