import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { tokenRequest } from '../helpers/oauth.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { enrolTotp, finishSignIn, startLocalhostLatch, startSignIn, totpCode, typeCode, typePassword } from './step-up-helpers.js';

const MFA = 'urn:latch:acr:mfa';
const secondStep = 'Confirm it’s you';

/**
 * LATCH_MFA=enrolled: every sign-in of a person who set up a second factor asks for it, whatever the application
 * asks; a person without one signs in with the password alone; the password grant, which cannot ask, is refused for
 * such a person before their password is checked.
 */
describe.skipIf(!chromiumAvailable)('LATCH_MFA=enrolled in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  const shots = screenshotDir('mfa-enrolled');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch({ mfa: 'enrolled', passwordGrant: true });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`], grantTypes: ['authorization_code', 'password'] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  async function heading(page: Page): Promise<string> {
    return ((await page.locator('h1').first().textContent({ timeout: 10_000 })) ?? '').trim();
  }

  /** A person who set up TOTP (through a step-up request, which has them enrol). */
  async function enrolled(): Promise<{ user: TestUser; secret: string }> {
    const user = await latch.user();
    const page = await pageWithCspWatch(browser, csp);
    const started = await startSignIn(page, latch, app, { acr_values: MFA });
    await typePassword(page, user.email);
    expect(await heading(page)).toBe('Set up a second step');
    const { secret } = await enrolTotp(page);
    await page.getByRole('link', { name: 'Continue' }).click();
    await finishSignIn(page, latch, app, started);
    await page.context().close();
    return { user, secret };
  }

  it('asks a person who set up a factor for it without acr_values; not a person who has none', async () => {
    const { user, secret } = await enrolled();
    const page = await pageWithCspWatch(browser, csp);
    const started = await startSignIn(page, latch, app);
    await typePassword(page, user.email);
    expect(await heading(page)).toBe(secondStep);
    await page.screenshot({ path: join(shots, '1-asked-without-acr-values.png'), fullPage: true });
    await typeCode(page, totpCode(secret, 1));
    const claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
    await page.context().close();

    const plain = await latch.user();
    const other = await pageWithCspWatch(browser, csp);
    const again = await startSignIn(other, latch, app);
    await typePassword(other, plain.email);
    const plainClaims = await finishSignIn(other, latch, app, again);
    expect(plainClaims.amr).toEqual(['pwd']);
    await other.context().close();
    expect(csp).toEqual([]);
  });

  it('refuses the password grant for a person who set up a factor (invalid_grant), whatever the password', async () => {
    const { user } = await enrolled();
    const grant = (username: string, password: string) =>
      tokenRequest(latch, { grant_type: 'password', username, password, scope: 'openid' }, { clientId: app.clientId, clientSecret: app.clientSecret! });
    for (const password of [user.password, 'not-the-password']) {
      const refused = await grant(user.email.toUpperCase(), password);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      expect(refused.body.error_description).toMatch(/has a second factor/);
    }
    const plain = await latch.user();
    expect((await grant(plain.email, plain.password)).status).toBe(200);
  });

  it('names the setting when its value is wrong', () => {
    expect(() => loadConfig({ LATCH_MFA: 'sometimes' })).toThrow(/LATCH_MFA.*must be off, enrolled or required/);
    expect(loadConfig({ LATCH_MFA: 'enrolled' }).mfa).toBe('enrolled');
  });
});
