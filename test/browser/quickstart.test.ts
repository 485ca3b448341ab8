import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir, startExample } from '../helpers/chromium.js';
import { freePort, PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The README quickstart, in a real browser: the example web app (openid-client) signs a person in through
 * Latch's login and consent pages, signs in again without any page (SSO), and signs out.
 */
describe.skipIf(!chromiumAvailable)('quickstart in Chromium', () => {
  let latch: TestServer;
  let app: ChildProcess;
  let appUrl: string;
  let browser: Browser;
  const shots = screenshotDir('quickstart');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    latch = await startTestServer();
    const appPort = await freePort();
    appUrl = `http://localhost:${appPort}`;
    await latch.user({ email: 'ada@example.com', name: 'Ada Lovelace' });
    const client = await latch.client({
      kind: 'web',
      name: 'Example web app',
      redirectUris: [`${appUrl}/callback`],
      postLogoutRedirectUris: [`${appUrl}/`],
    });
    app = await startExample(
      join('examples', 'web-app', 'server.mjs'),
      { LATCH_ISSUER: latch.issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret, PORT: String(appPort) },
      'Example web app on',
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    app?.kill();
    await latch?.close();
  });

  const newPage = (): Promise<Page> => pageWithCspWatch(browser, cspViolations);

  it('signs in with login and consent, then again with neither, then signs out', async () => {
    const page = await newPage();
    await page.goto(appUrl);
    await page.getByRole('link', { name: 'Sign in with Latch' }).click();

    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.locator('input[name="email"]').getAttribute('autocomplete')).toBe('username webauthn'); // issue 13: the browser's passkeys are offered in the email field (WebAuthn conditional UI)
    expect(await page.locator('input[name="password"]').getAttribute('autocomplete')).toBe('current-password');
    await page.screenshot({ path: join(shots, '1-login.png'), fullPage: true });

    await page.fill('input[name="email"]', 'ada@example.com');
    await page.fill('input[name="password"]', 'wrong password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Incorrect email or password');
    await page.screenshot({ path: join(shots, '2-login-error.png'), fullPage: true });

    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.textContent('body')).toContain('Example web app');
    await page.screenshot({ path: join(shots, '3-consent.png'), fullPage: true });

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/`, { timeout: 5000 }).catch(async (err) => {
      throw new Error(`${err.message}\nat ${page.url()}: ${(await page.content()).slice(0, 500)}\nCSP: ${cspViolations.join('; ')}`);
    });
    expect(await page.textContent('h1')).toBe('Hello, Ada Lovelace');
    const claims = JSON.parse((await page.textContent('pre')) ?? '{}');
    expect(claims.id_token_claims.iss).toBe(latch.issuer);
    expect(claims.userinfo.email).toBe('ada@example.com');
    await page.screenshot({ path: join(shots, '4-signed-in.png'), fullPage: true });

    // Single sign-on: the second sign-in shows no Latch page at all.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.goto(`${appUrl}/login`);
    await page.waitForURL(`${appUrl}/`);
    expect(visited.filter((url) => url.includes('/interaction/'))).toEqual([]);
    expect(await page.textContent('h1')).toBe('Hello, Ada Lovelace');

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${appUrl}/`);
    expect(await page.textContent('h1')).toBe('Example web app');
    await page.screenshot({ path: join(shots, '5-signed-out.png'), fullPage: true });

    // The Latch session is gone: signing in asks for the password again.
    await page.getByRole('link', { name: 'Sign in with Latch' }).click();
    await page.locator('input[name="password"]').waitFor();
    expect(cspViolations).toEqual([]);
  });

  it('Latch pages cannot be framed by another site', async () => {
    const page = await newPage();
    const framer = await freePort();
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<iframe src="${latch.issuer}/logout"></iframe>`);
    }).listen(framer);
    try {
      await page.goto(`http://localhost:${framer}/`);
      await page.waitForTimeout(500);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const content = frame ? await frame.content().catch(() => '') : '';
      expect(content).not.toContain('sign out');
    } finally {
      server.close();
    }
  });
});
