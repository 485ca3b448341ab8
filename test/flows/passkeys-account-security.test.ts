import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest, randomToken } from '../../src/core/tokens/hash.js';
import { chromiumAvailable, launchChromium, screenshotDir } from '../helpers/chromium.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { finishSignIn, startLocalhostLatch, startSignIn, totpCode, typeCode, typePassword } from './step-up-helpers.js';

/**
 * /account/security in Chromium (virtual authenticator for passkeys): sign-in required, the authenticator app set up
 * with its QR code and recovery codes shown once, passkeys added, renamed and removed, and every change refused
 * without a recent authentication or without the page's CSRF token.
 */
describe.skipIf(!chromiumAvailable)('/account/security in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ada: TestUser;
  const shots = screenshotDir('account-security');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch();
    ada = await latch.user({ email: 'ada@example.com' });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) csp.push(m.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  it('sends a browser without a session to /account/login', async () => {
    const res = await fetch(`${latch.issuer}/account/security`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/login?return_to=%2Faccount%2Fsecurity');
  });

  it('sets up an authenticator app, shows ten recovery codes once, and removes it again', async () => {
    const started = await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    await finishSignIn(page, latch, app, started);
    await page.goto(`${latch.issuer}/account/security`);
    expect(await page.textContent('#totp-status')).toContain('Not set up');
    await page.screenshot({ path: join(shots, '1-security.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set up an authenticator app' }).click()]);
    expect(await page.locator('img.qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.screenshot({ path: join(shots, '2-totp-setup.png'), fullPage: true });
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
    await typeCode(page, totpCode(secret));
    expect(await page.locator('#recovery-codes code').count()).toBe(10);
    await page.screenshot({ path: join(shots, '3-recovery-codes.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Continue' }).click()]);
    expect(await page.textContent('#totp-status')).toContain('On');
    expect(await page.textContent('#recovery-status')).toContain('10');
    expect((await latch.latch.store.totpSecrets.find(ada.sub))?.confirmedAt).not.toBeNull();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Create new recovery codes' }).click()]);
    expect(await page.locator('#recovery-codes code').count()).toBe(10);
    await page.goto(`${latch.issuer}/account/security`);
    await Promise.all([page.waitForNavigation(), page.locator('#totp-status + form button').click()]);
    expect(await page.textContent('#totp-status')).toContain('Not set up');
  });

  it('adds a passkey, renames it and removes it', async () => {
    await page.goto(`${latch.issuer}/account/security`);
    await page.locator('#passkey-name').fill('Work laptop');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('saved') === '1'), page.getByRole('button', { name: 'Add a passkey' }).click()]);
    expect(await page.textContent('#passkeys')).toContain('Work laptop');
    await page.screenshot({ path: join(shots, '4-passkey-added.png'), fullPage: true });
    await page.locator('#passkeys input[name="name"]').fill('Home laptop');
    await Promise.all([page.waitForNavigation(), page.locator('#passkeys').getByRole('button', { name: 'Rename' }).click()]);
    expect(await page.textContent('#passkeys')).toContain('Home laptop');
    await Promise.all([page.waitForNavigation(), page.locator('#passkeys').getByRole('button', { name: 'Remove' }).click()]);
    expect(await page.locator('#passkeys').count()).toBe(0);
    expect(await latch.latch.store.passkeys.listBySub(ada.sub)).toEqual([]);
    const types = (await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 })).items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['factor.enrolled', 'factor.removed']));
  });

  it('refuses a change without the CSRF token, and asks an older session to confirm first', async () => {
    const cookies = await context.cookies();
    const header = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const noCsrf = await fetch(`${latch.issuer}/account/security/recovery/regenerate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: header, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(noCsrf.status).toBe(403);

    // A session of 10 minutes ago: reading is fine, changing needs /account/confirm first.
    const value = randomToken();
    const now = Math.floor(Date.now() / 1000);
    await latch.latch.store.sessions.create({ idDigest: digest(value), sid: randomToken(16), sub: ada.sub, authTime: now - 600, amr: ['pwd'], createdAt: now - 600, expiresAt: now + 3600 });
    await context.addCookies([{ name: 'latch_session', value, url: latch.issuer }]);
    await page.goto(`${latch.issuer}/account/security`);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const before = await latch.latch.store.recoveryCodes.remaining(ada.sub);
    const stale = await page.evaluate(
      async ([token]) => {
        const res = await fetch('/account/security/recovery/regenerate', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${encodeURIComponent(token as string)}` });
        return res.type === 'opaqueredirect' ? 'redirect' : String(res.status);
      },
      [csrf],
    );
    expect(stale).toBe('redirect');
    const direct = await fetch(`${latch.issuer}/account/security/recovery/regenerate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf)}`,
    });
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toBe('/account/confirm?return_to=%2Faccount%2Fsecurity');
    expect(await latch.latch.store.recoveryCodes.remaining(ada.sub)).toBe(before);
    expect(csp).toEqual([]);
  });
});
