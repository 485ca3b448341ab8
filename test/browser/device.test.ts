import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { expectTokenError, expectTokens, postForm, tokenRequest } from '../helpers/oauth.js';
import { PASSWORD, startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The device verification pages in a real browser: a person types the code from their TV (in lower case, without
 * the dash), signs in, checks the code and approves; the TV then gets its tokens. No CSP violations on the way.
 */
describe.skipIf(!chromiumAvailable)('device verification in Chromium', () => {
  let latch: TestServer;
  let tv: TestClient;
  let browser: Browser;
  const shots = screenshotDir('device');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    latch = await startTestServer({ deviceCodeInterval: 1 });
    await latch.user({ email: 'ada@example.com', name: 'Ada Lovelace' });
    tv = await latch.client({ kind: 'device', name: 'Living room TV' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  const newPage = (): Promise<Page> => pageWithCspWatch(browser, cspViolations);

  async function startDevice(): Promise<{ device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string }> {
    const res = await postForm(`${latch.issuer}/device_authorization`, { scope: 'openid profile email offline_access' }, tv);
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  const poll = (deviceCode: string) => tokenRequest(latch, { grant_type: DEVICE_GRANT, device_code: deviceCode }, tv);

  it('enters a code typed loosely, signs in, confirms the code and approves', async () => {
    const authorization = await startDevice();
    const page = await newPage();
    await page.goto(authorization.verification_uri);
    const input = page.getByLabel('Code');
    expect(await input.getAttribute('autocomplete')).toBe('off');
    await page.screenshot({ path: join(shots, '1-enter-code.png'), fullPage: true });

    await input.fill('bcdf-ghjk');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.screenshot({ path: join(shots, '2-wrong-code.png'), fullPage: true });

    await page.getByLabel('Code').fill(authorization.user_code.toLowerCase().replace('-', ''));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('input[name="password"]').waitFor();
    expect(await page.textContent('body')).toContain('Living room TV');
    await page.screenshot({ path: join(shots, '3-login.png'), fullPage: true });

    expectTokenError(await poll(authorization.device_code), 400, 'authorization_pending');

    await page.fill('input[name="email"]', 'ada@example.com');
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const confirm = (await page.textContent('body')) ?? '';
    expect(confirm).toContain('Living room TV on your device');
    expect(confirm).toContain(authorization.user_code);
    expect(confirm).toContain('ada@example.com');
    await page.screenshot({ path: join(shots, '4-confirm.png'), fullPage: true });

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'You can return to your device' }).waitFor();
    await page.screenshot({ path: join(shots, '5-done.png'), fullPage: true });

    const tokens = expectTokens(await poll(authorization.device_code));
    expect(typeof tokens.id_token).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');
    expect(cspViolations).toEqual([]);
  });

  it('opens the complete URI with the code filled in, and a signed-in person can deny', async () => {
    const authorization = await startDevice();
    const page = await newPage();
    await page.goto(authorization.verification_uri_complete);
    expect(await page.getByLabel('Code').inputValue()).toBe(authorization.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('input[name="password"]').waitFor();
    await page.fill('input[name="email"]', 'ada@example.com');
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('heading', { name: 'Access denied' }).waitFor();
    await page.screenshot({ path: join(shots, '6-denied.png'), fullPage: true });
    expectTokenError(await poll(authorization.device_code), 400, 'access_denied');

    // The same browser is signed in now: the next device goes straight to the confirmation.
    const next = await startDevice();
    await page.goto(next.verification_uri_complete);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.locator('input[name="password"]').count()).toBe(0);
    expect(cspViolations).toEqual([]);
  });
});
