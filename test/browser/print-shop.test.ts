import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_EMAIL, DEMO_PASSWORD, startDemo, type Demo } from '../../examples/print-shop/demo.mjs';
import { createApi } from '../../src/admin/apis.js';
import { createClient } from '../../src/admin/clients.js';
import { listGrants, revokeGrant } from '../../src/admin/grants.js';
import { createUser } from '../../src/admin/users.js';
import { loadPasswordPolicy } from '../../src/core/accounts/password-policy.js';
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/http/server.js';
import { chromiumAvailable, launchChromium, screenshotDir } from '../helpers/chromium.js';
import { freePort } from '../helpers/server.js';

/**
 * The demo of `npm run demo` (the same code, started with Latch's sources), in a real browser: a person lets the
 * print shop import their photos from the photos API through Latch, then takes that permission back.
 */
describe.skipIf(!chromiumAvailable)('demo: a printing service prints your photos, in Chromium', () => {
  let demo: Demo;
  let dataDir: string;
  let browser: Browser;
  const shots = screenshotDir('print-shop');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-demo-test-'));
    const [latchPort, photosPort, shopPort] = [await freePort(), await freePort(), await freePort()];
    demo = await startDemo(
      {
        loadConfig,
        startServer,
        createUser: (store: Parameters<typeof createUser>[0], input: Parameters<typeof createUser>[2]) => createUser(store, loadPasswordPolicy(), input),
        createClient,
        createApi,
        listGrants,
        revokeGrant,
      },
      { dataDir, latchPort, photosPort, shopPort, logLevel: 'silent' },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  it('imports the photos with the person\'s consent, and fails clearly once access is revoked', async () => {
    const page = await newPage();
    await page.goto(demo.printShopUrl);
    expect(await page.textContent('h1')).toBe('Print shop');
    await page.screenshot({ path: join(shots, '1-print-shop.png'), fullPage: true });

    // "Import my photos" sends the person to Latch, where they sign in.
    await page.getByRole('button', { name: 'Import my photos' }).click();
    await expect.poll(() => page.url()).toMatch(new RegExp(`^${demo.issuer}/interaction/`));
    await page.screenshot({ path: join(shots, '2-latch-login.png'), fullPage: true });
    await page.fill('input[name="email"]', DEMO_EMAIL);
    await page.fill('input[name="password"]', DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();

    // Consent names the print shop and the one permission it asks for.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const consent = (await page.textContent('body')) ?? '';
    expect(consent).toContain('Print shop');
    expect(consent).toContain('read:photos');
    expect(consent).not.toContain('write:photos');
    await page.screenshot({ path: join(shots, '3-latch-consent.png'), fullPage: true });
    await page.getByRole('button', { name: 'Allow' }).click();

    // Back at the print shop: the photos, fetched from the photos API with the access token.
    await page.waitForURL(`${demo.printShopUrl}/`);
    await page.getByRole('heading', { name: 'Your photos' }).waitFor();
    const titles = await page.locator('figure img').evaluateAll((imgs) => imgs.map((img) => (img as unknown as { alt: string }).alt));
    expect(titles).toEqual(['Sunset over the bay', 'Mountain lake', 'Forest path', 'Night sky']);
    const loaded = await page.locator('figure img').evaluateAll((imgs) => imgs.every((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0));
    expect(loaded).toBe(true);
    await page.screenshot({ path: join(shots, '4-photos-imported.png'), fullPage: true });

    // Still working on a refresh, with the same token.
    await page.getByRole('button', { name: 'Refresh photos' }).click();
    await page.getByRole('heading', { name: 'Your photos' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);

    // The person's grant is revoked in Latch: the next fetch fails, and the print shop says so.
    expect(await demo.revokePrintShopAccess()).toBe(1);
    await page.getByRole('button', { name: 'Refresh photos' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Access to your photos was revoked. Import again to reconnect.');
    expect(await page.locator('figure img').count()).toBe(0);
    await page.screenshot({ path: join(shots, '5-access-revoked.png'), fullPage: true });

    // Importing again reconnects without any Latch page: single sign-on and the remembered consent.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.getByRole('button', { name: 'Import my photos' }).click();
    await page.getByRole('heading', { name: 'Your photos' }).waitFor();
    expect(visited.filter((url) => url.includes('/interaction/'))).toEqual([]);
    await page.screenshot({ path: join(shots, '6-reconnected.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
