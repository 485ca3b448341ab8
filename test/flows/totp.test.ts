import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { enrolTotp, finishSignIn, startLocalhostLatch, startSignIn, totpCode, typeCode, typePassword } from './step-up-helpers.js';

/**
 * TOTP in real Chromium with LATCH_MFA=required: a person without a factor enrols an authenticator app during the
 * sign-in (the secret read from the page, codes computed here with otpauth) and gets ten recovery codes once; a code
 * is never accepted twice; a recovery code works once; wrong codes are throttled without locking the password step.
 */
describe.skipIf(!chromiumAvailable)('TOTP second factor in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  let ada: TestUser;
  let secret = '';
  let enrolmentCode = '';
  let recoveryCodes: string[] = [];
  const shots = screenshotDir('totp');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch({ mfa: 'required' });
    ada = await latch.user({ email: 'ada@example.com' });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  async function fresh(): Promise<Page> {
    return pageWithCspWatch(browser, csp);
  }

  it('asks a person without a factor to enrol one in the same sign-in, then continues with amr pwd+otp+mfa', async () => {
    const page = await fresh();
    const started = await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    await page.getByRole('heading', { name: 'Set up a second step' }).waitFor();
    expect(await page.textContent('body')).toContain('Photo album asks for a second step when you sign in');
    expect(await page.locator('img.qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.screenshot({ path: join(shots, '1-enrol.png'), fullPage: true });
    // A wrong first code keeps the same secret on the page.
    await typeCode(page, '000000');
    expect(await page.textContent('[role="alert"]')).toContain('not right');
    const enrolled = await enrolTotp(page);
    secret = enrolled.secret;
    enrolmentCode = enrolled.used;
    recoveryCodes = enrolled.codes;
    await page.screenshot({ path: join(shots, '2-recovery-codes.png'), fullPage: true });
    await page.getByRole('link', { name: 'Continue' }).click();
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('urn:latch:acr:mfa');
    await page.context().close();
  });

  it('signs in with a code, and refuses the same code a second time', async () => {
    const page = await fresh();
    const started = await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    await page.screenshot({ path: join(shots, '3-second-factor.png'), fullPage: true });
    // The code (and time step) the enrolment used: refused, even while it is still within the window.
    await typeCode(page, enrolmentCode);
    expect(await page.textContent('[role="alert"]')).toContain('used already');
    await page.screenshot({ path: join(shots, '4-code-reused.png'), fullPage: true });
    await typeCode(page, totpCode(secret, 1));
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    await page.context().close();
  });

  it('accepts a recovery code once', async () => {
    const code = recoveryCodes[0] as string;
    const page = await fresh();
    const started = await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    await page.locator('summary').click();
    await typeCode(page, code.toLowerCase(), '#recovery-code');
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    await page.context().close();

    const again = await fresh();
    await startSignIn(again, latch, app);
    await typePassword(again, ada.email);
    await again.locator('summary').click();
    await typeCode(again, code, '#recovery-code');
    expect(await again.textContent('[role="alert"]')).toContain('used already');
    const events = await latch.latch.store.events.page({ sub: ada.sub }, { limit: 100 });
    const types = events.items.map((e) => e.type);
    expect(types).toContain('factor.recovery_used');
    expect(types).toContain('factor.enrolled');
    await again.context().close();
  });

  it('throttles wrong codes with 429 and Retry-After; the password step still works for the owner', async () => {
    const page = await fresh();
    await startSignIn(page, latch, app);
    await typePassword(page, ada.email);
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const answer = page.waitForResponse((r) => r.url().endsWith('/factor/totp'));
      await page.locator('#totp-code').fill('123456' === totpCode(secret) ? '654321' : '123456');
      await page.locator('#totp-code').locator('xpath=ancestor::form').locator('button[type="submit"]').click();
      const response = await answer;
      last = response.status();
      if (last === 429) {
        expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
        break;
      }
    }
    expect(last).toBe(429);
    await page.screenshot({ path: join(shots, '5-throttled.png'), fullPage: true });
    await page.context().close();
    // The right password still gets the owner to the second step: the factor throttle never locks the password.
    const owner = await fresh();
    await startSignIn(owner, latch, app);
    const login = owner.waitForResponse((r) => r.url().endsWith('/login'));
    await typePassword(owner, ada.email);
    expect((await login).status()).toBe(303);
    await owner.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    await owner.context().close();
    expect(csp).toEqual([]);
  });
});
