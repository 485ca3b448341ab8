import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir, startExample } from '../helpers/chromium.js';
import { freePort, PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * examples/implicit-form-post in a real browser: Latch answers with the form_post page, whose only script (allowed
 * by its CSP, nothing else is) posts the ID token to the app, which validates it with openid-client.
 */
describe.skipIf(!chromiumAvailable)('implicit flow with form_post in Chromium', () => {
  let latch: TestServer;
  let app: ChildProcess;
  let appUrl: string;
  let browser: Browser;
  const shots = screenshotDir('implicit-form-post');

  beforeAll(async () => {
    latch = await startTestServer();
    const appPort = await freePort();
    // The same site as Latch (127.0.0.1), so the app's SameSite=Lax cookie comes back with the form_post.
    appUrl = `http://127.0.0.1:${appPort}`;
    await latch.user({ email: 'grace@example.com', name: 'Grace Hopper' });
    const client = await latch.client({
      kind: 'spa',
      name: 'Implicit example',
      grantTypes: ['implicit'],
      responseTypes: ['id_token'],
      redirectUris: [`${appUrl}/callback`],
    });
    app = await startExample(
      join('examples', 'implicit-form-post', 'server.mjs'),
      { LATCH_ISSUER: latch.issuer, CLIENT_ID: client.clientId, PORT: String(appPort), APP_URL: appUrl },
      'Implicit example on',
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    app?.kill();
    await latch?.close();
  });

  it('signs in: the form_post page submits itself under its CSP and the app validates the ID token', async () => {
    const cspViolations: string[] = [];
    const page = await pageWithCspWatch(browser, cspViolations);
    const formPostPages: string[] = [];
    // Only the form_post page may run a script; its CSP says which one. (Issue 13: the login page runs exactly its
    // two passkey scripts, checked in login-security.test.ts.)
    page.on('response', async (response) => {
      const csp = (await response.headerValue('content-security-policy')) ?? '';
      const passkeys = `script-src ${latch.issuer}/assets/simplewebauthn-browser.js ${latch.issuer}/assets/passkeys.js;`;
      if (csp.includes('script-src') && !csp.includes(passkeys)) formPostPages.push(csp);
    });
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${appUrl}/callback`) posts.push(request.postData() ?? '');
    });

    await page.goto(appUrl);
    await page.getByRole('link', { name: 'Sign in with Latch' }).click();
    await page.fill('input[name="email"]', 'grace@example.com');
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/`, { timeout: 5000 }).catch(async (err) => {
      throw new Error(`${err.message}\nat ${page.url()}: ${(await page.content()).slice(0, 500)}\nCSP: ${cspViolations.join('; ')}`);
    });
    await page.screenshot({ path: join(shots, 'signed-in.png'), fullPage: true });

    expect(await page.textContent('h1')).toBe('Hello, Grace Hopper');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}');
    expect(claims.iss).toBe(latch.issuer);
    expect(claims.email).toBe('grace@example.com');
    expect(typeof claims.nonce).toBe('string');

    expect(formPostPages).toHaveLength(1);
    expect(formPostPages[0]).toContain(`script-src ${latch.issuer}/assets/form-post.js;`);
    expect(posts).toHaveLength(1);
    const posted = new URLSearchParams(posts[0]);
    expect([...posted.keys()].sort()).toEqual(['id_token', 'iss', 'state']);
    expect(cspViolations).toEqual([]);
    await page.context().close();
  });
});
