import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, screenshotDir } from '../helpers/chromium.js';
import { type DeviceAuthorization, pollToken, requestDeviceAuthorization } from '../helpers/device.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { enrolTotp, startLocalhostLatch, totpCode, typeCode, typePassword } from './step-up-helpers.js';

const MFA = 'urn:latch:acr:mfa';

/**
 * The device flow's second factor in real Chromium with LATCH_MFA=required (issue 13): enrolment of an authenticator
 * app during a device sign-in, then TOTP, a recovery code and a passkey (DevTools virtual authenticator) asked on the
 * device pages; each device gets tokens whose ID token says how the person signed in. Screenshots in
 * test-output/screenshots/device-second-factor/.
 */
describe.skipIf(!chromiumAvailable)('device sign-in with a second factor in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let tv: TestClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId = '';
  const shots = screenshotDir('device-second-factor');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch({ mfa: 'required', deviceCodeInterval: 1 });
    tv = await latch.client({ kind: 'device', name: 'Living room TV' });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
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

  async function heading(): Promise<string> {
    return ((await page.locator('h1').first().textContent({ timeout: 10_000 })) ?? '').trim();
  }

  /** The person opens verification_uri_complete, confirms the prefilled code and signs in with the password. */
  async function startDevice(user: TestUser): Promise<DeviceAuthorization> {
    await context.clearCookies();
    const authorization = await requestDeviceAuthorization(latch, tv);
    await page.goto(authorization.verification_uri_complete, { waitUntil: 'load' });
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
    await typePassword(page, user.email);
    return authorization;
  }

  /** Allows on the device confirmation page, then the device polls: the claims of its ID token. */
  async function allow(authorization: DeviceAuthorization, shot?: string): Promise<Record<string, unknown>> {
    const button = page.getByRole('button', { name: /allow/i });
    await button.waitFor({ timeout: 10_000 });
    expect(await page.textContent('body')).toContain(authorization.user_code);
    if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
    await Promise.all([page.waitForNavigation(), button.click()]);
    const tokens = await pollToken(latch, tv, authorization.device_code);
    expect(tokens.status, tokens.text).toBe(200);
    return decodeJwt(tokens.body.id_token as string) as Record<string, unknown>;
  }

  it('enrols an authenticator app during a device sign-in; later device sign-ins ask for a code or a recovery code', async () => {
    const user = await latch.user();
    let authorization = await startDevice(user);
    expect(await heading()).toBe('Set up a second step');
    await page.screenshot({ path: join(shots, '1-device-enrol.png'), fullPage: true });
    const { secret, codes } = await enrolTotp(page);
    await page.screenshot({ path: join(shots, '2-device-recovery-codes.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Continue' }).click()]);
    expect(new URL(page.url()).pathname).toMatch(/^\/device\//);
    let claims = await allow(authorization, '3-device-confirm-after-factor.png');
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);

    authorization = await startDevice(user);
    expect(await heading()).toBe('Confirm it’s you');
    await page.screenshot({ path: join(shots, '4-device-second-factor.png'), fullPage: true });
    await typeCode(page, totpCode(secret, 1));
    claims = await allow(authorization);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);

    authorization = await startDevice(user);
    await page.locator('summary').click();
    await typeCode(page, codes[0] as string, '#recovery-code');
    claims = await allow(authorization);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(await latch.latch.store.recoveryCodes.remaining(user.sub)).toBe(9);
  });

  it('enrols a passkey during a device sign-in, and uses it as the second factor of the next one', async () => {
    const user = await latch.user();
    let authorization = await startDevice(user);
    expect(await heading()).toBe('Set up a second step');
    await page.locator('#passkey-name').fill('Virtual laptop');
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/device/'), { timeout: 15_000 });
    let claims = await allow(authorization);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect((await latch.latch.store.passkeys.listBySub(user.sub)).map((p) => p.name)).toEqual(['Virtual laptop']);

    authorization = await startDevice(user);
    expect(await heading()).toBe('Confirm it’s you');
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/device/'), { timeout: 15_000 });
    claims = await allow(authorization, '5-device-confirm-after-passkey.png');
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(csp).toEqual([]);
  });
});
