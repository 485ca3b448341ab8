import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { codeFlowUrl } from '../helpers/oauth.js';
import { PASSWORD, startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

/**
 * The logout pages in a real browser: "Stay signed in" shows a page of its own (not the error page), "Sign out" ends
 * the session, and with nobody signed in the logout completes without asking. No CSP violations on the way.
 */
describe.skipIf(!chromiumAvailable)('logout in Chromium', () => {
  let latch: TestServer;
  let app: TestClient;
  let browser: Browser;
  const shots = screenshotDir('logout');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    latch = await startTestServer();
    await latch.user({ email: 'ada@example.com', name: 'Ada Lovelace' });
    // The redirect URI is on Latch itself (loopback http): the test only needs the session the sign-in leaves.
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(codeFlowUrl(latch, app).href);
    await page.locator('input[name="email"]').fill('ada@example.com');
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').first().click();
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL((u) => u.pathname === '/signed-in');
  }

  it('"Stay signed in" shows that you are still signed in; "Sign out" signs out; then nothing is asked', async () => {
    const page = await pageWithCspWatch(browser, cspViolations);
    await signIn(page);

    await page.goto(`${latch.issuer}/logout`);
    await page.screenshot({ path: join(shots, '1-confirm.png'), fullPage: true });
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.getByRole('heading', { name: 'You are still signed in' }).waitFor();
    const kept = (await page.textContent('body')) ?? '';
    expect(kept).not.toContain('Something went wrong');
    expect(kept).not.toContain('Error code');
    await page.screenshot({ path: join(shots, '2-still-signed-in.png'), fullPage: true });
    expect((await page.context().cookies()).some((c) => c.name === 'latch_session')).toBe(true);

    await page.goto(`${latch.issuer}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'latch_session')).toBe(false);

    await page.goto(`${latch.issuer}/logout`);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    expect(await page.locator('form').count()).toBe(0);
    await page.screenshot({ path: join(shots, '3-signed-out-without-asking.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
