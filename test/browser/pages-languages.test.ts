import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { putBranding } from '../../src/admin/branding.js';
import { chromiumAvailable, launchChromium, screenshotDir } from '../helpers/chromium.js';
import { image, type ImageServer, solidPng, startImageServer } from '../helpers/images.js';
import { authorizeUrl, pkcePair, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const PHOTOS = 'https://photos.example';

/**
 * The pages in real Chromium: the login page in German and French from ui_locales, and a branded consent page (the
 * operator's name, logo, colour and footer links; the client's logo and links; the API's scope descriptions), all
 * under the strict CSP without a single violation.
 */
describe.skipIf(!chromiumAvailable)('pages in other languages and with branding, in Chromium', () => {
  let ts: TestServer;
  let images: ImageServer;
  let browser: Browser;
  let user: TestUser;
  let web: TestClient;
  let shop: TestClient;
  const shots = screenshotDir('pages-languages');
  const cspViolations: string[] = [];

  beforeAll(async () => {
    images = await startImageServer();
    images.route('/brand.png', image(solidPng(40, [170, 51, 0])));
    images.route('/shop.png', image(solidPng(64, [0, 110, 190])));
    ts = await startTestServer({ secret: randomBytes(32).toString('base64url') });
    user = await ts.user({ email: 'ada@example.com', name: 'Ada Lovelace' });
    web = await ts.client({ kind: 'web', name: 'Fotoalbum' });
    shop = await ts.client({ kind: 'web', name: 'Print shop', scopes: ['openid email read:photos write:photos'] });
    const record = await ts.latch.store.clients.find(shop.clientId);
    await ts.latch.store.clients.update(shop.clientId, {
      metadata: {
        ...record!.metadata,
        logo_uri: `${images.url}/shop.png`,
        client_uri: 'https://print.example/',
        policy_uri: 'https://print.example/privacy',
        tos_uri: 'https://print.example/terms',
      },
    });
    await createApi(ts.latch.store, { identifier: PHOTOS, name: 'Photo library', scopes: ['read:photos', 'write:photos'] });
    await ts.latch.store.apis.update(PHOTOS, { scopeDescriptions: { 'read:photos': 'See your photos and albums', 'write:photos': 'Add photos to your albums' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await ts?.close();
    await images?.close();
  });

  async function newPage(locale = 'en-US'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 860 }, locale });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  function request(client: TestClient, extra: Record<string, string> = {}): string {
    return authorizeUrl(ts, {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: client.redirectUri,
      scope: 'openid email',
      state: random(),
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    }).href;
  }

  it('shows the login page in German from ui_locales=de, also after a wrong password', async () => {
    const page = await newPage('en-US');
    await page.goto(request(web, { ui_locales: 'de' }));
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.title()).toBe('Anmelden · Latch');
    expect(await page.textContent('h1')).toBe('Anmelden');
    await page.getByLabel('E-Mail-Adresse').fill('ada@example.com');
    await page.getByLabel('Passwort').fill('falsches Passwort');
    await page.screenshot({ path: join(shots, '1-login-de.png'), fullPage: true });
    await page.getByRole('button', { name: 'Weiter' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('E-Mail-Adresse oder Passwort ist falsch.');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.screenshot({ path: join(shots, '2-login-de-error.png'), fullPage: true });
    await page.context().close();
  });

  it('shows the login page in French from ui_locales=fr', async () => {
    const page = await newPage('de-DE');
    await page.goto(request(web, { ui_locales: 'fr-FR fr' }));
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.title()).toBe('Connexion · Latch');
    expect(await page.locator('.lead').textContent()).toBe('pour accéder à Fotoalbum');
    await expect.poll(() => page.getByLabel('Mot de passe').count()).toBe(1);
    await expect.poll(() => page.getByRole('button', { name: 'Continuer' }).count()).toBe(1);
    await page.screenshot({ path: join(shots, '3-login-fr.png'), fullPage: true });
    await page.context().close();
  });

  it('shows the branded consent page: brand name, logo, colour and links; the client logo and links; the API scopes', async () => {
    await putBranding(ts.latch.store, {
      product_name: 'Acme ID',
      logo_uri: `${images.url}/brand.png`,
      primary_color: '#aa3300',
      links: { privacy: 'https://acme.example/privacy', terms: 'https://acme.example/terms', support: 'https://help.acme.example/' },
    });
    const page = await newPage('en-GB');
    await page.goto(request(shop, { scope: 'openid email read:photos write:photos', resource: PHOTOS }));
    await page.getByLabel('Email address').fill('ada@example.com');
    await page.getByLabel('Password').fill(user.password);
    expect(await page.title()).toBe('Sign in · Acme ID');
    await page.screenshot({ path: join(shots, '4-login-branded.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();

    expect(await page.title()).toBe('Allow Print shop? · Acme ID');
    expect(await page.textContent('.brand-name')).toBe('Acme ID');
    // Both logos are same-origin copies that loaded (a broken image has naturalWidth 0).
    type Img = { src: string; naturalWidth: number; className: string };
    const logos = await page.locator('img').evaluateAll((imgs) =>
      (imgs as unknown as Img[]).map((i) => ({ src: new URL(i.src).pathname, width: i.naturalWidth, cls: i.className })),
    );
    expect(logos).toEqual([
      { src: '/assets/logo/brand', width: 40, cls: 'brand-logo' },
      { src: `/assets/logo/client/${shop.clientId}`, width: 64, cls: 'client-logo' },
    ]);
    // The primary colour comes from /assets/brand.css.
    const allow = page.getByRole('button', { name: 'Allow' });
    type Styled = { getComputedStyle(el: unknown): { backgroundColor: string } };
    expect(await allow.evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor)).toBe('rgb(170, 51, 0)');
    expect(await page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href')).toBe('https://print.example/privacy');
    expect(await page.getByRole('link', { name: 'Terms of service' }).getAttribute('href')).toBe('https://print.example/terms');
    expect(await page.getByRole('link', { name: 'Website' }).getAttribute('href')).toBe('https://print.example/');
    const footer = page.getByRole('navigation', { name: 'Links' });
    expect(await footer.getByRole('link', { name: 'Privacy' }).getAttribute('href')).toBe('https://acme.example/privacy');
    expect(await footer.getByRole('link', { name: 'Terms' }).getAttribute('href')).toBe('https://acme.example/terms');
    expect(await footer.getByRole('link', { name: 'Help' }).getAttribute('href')).toBe('https://help.acme.example/');
    const body = await page.textContent('body');
    expect(body).toContain('Photo library');
    expect(body).toContain('See your photos and albums');
    expect(body).toContain('Add photos to your albums');
    expect(body).toContain('Your email address');
    await page.screenshot({ path: join(shots, '5-consent-branded.png'), fullPage: true });

    // The same page, in German and on a narrow screen in dark mode.
    const german = await browser.newContext({ viewport: { width: 375, height: 900 }, locale: 'de-DE', colorScheme: 'dark' });
    const mobile = await german.newPage();
    mobile.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    await mobile.goto(request(shop, { scope: 'openid email read:photos', resource: PHOTOS, ui_locales: 'de' }));
    await mobile.getByLabel('E-Mail-Adresse').fill('ada@example.com');
    await mobile.getByLabel('Passwort').fill(user.password);
    await mobile.getByRole('button', { name: 'Weiter' }).click();
    await mobile.getByRole('button', { name: 'Erlauben' }).waitFor();
    expect(await mobile.locator('html').getAttribute('lang')).toBe('de');
    expect(await mobile.textContent('h1')).toBe('Print shop möchte auf Ihr Konto zugreifen');
    await mobile.screenshot({ path: join(shots, '6-consent-branded-de-dark-375.png'), fullPage: true });
    await german.close();
    await page.context().close();
    expect(cspViolations).toEqual([]);
  });
});
