/**
 * Branding over real HTTP: the operator's product name, logo, colour and footer links on the pages at once (on every
 * instance: two servers share one store), the brand stylesheet and same-origin logo copies with a CSP that stays
 * 'self', and the consent page's client logo, RFC 7591 links and the API's scope descriptions. Logos that are too
 * big or not images are never shown.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { putBranding } from '../../src/admin/branding.js';
import type { ClientMetadata } from '../../src/storage/types.js';
import { Browser, decodeHtml, type Page, postLogin } from '../helpers/browser.js';
import { image, type ImageServer, solidPng, startImageServer } from '../helpers/images.js';
import { authorizeUrl, pkcePair, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const PHOTOS = 'https://photos.example';
const brandPng = solidPng(32, [170, 51, 0]);
const clientPng = solidPng(48, [0, 120, 200]);

let ts: TestServer;
let second: TestServer;
let images: ImageServer;
let user: TestUser;
let plain: TestClient;

beforeAll(async () => {
  images = await startImageServer();
  images.route('/brand.png', image(brandPng));
  images.route('/client.png', image(clientPng));
  images.route('/big.png', image(Buffer.concat([clientPng, Buffer.alloc(300 * 1024)])));
  images.route('/page.html', image(Buffer.from('<html><script>alert(1)</script></html>'), 'text/html'));
  images.route('/fake.png', image(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'image/png'));
  // Two instances on one store, as behind a load balancer (one LATCH_SECRET, so both read the signing keys).
  const secret = randomBytes(32).toString('base64url');
  ts = await startTestServer({ secret });
  second = await startTestServer({ secret }, { store: ts.latch.store });
  user = await ts.user();
  plain = await ts.client({ kind: 'web', name: 'Plain app' });
});

afterAll(async () => {
  await second?.close();
  await ts?.close();
  await images?.close();
});

function requestUrl(server: TestServer, client: TestClient, extra: Record<string, string> = {}): URL {
  return authorizeUrl(server, {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    state: random(),
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
}

async function pageAt(browser: Browser, url: URL, stopAt: string): Promise<Page> {
  const result = await browser.navigate(url, { stopAt });
  if (result.kind !== 'page') throw new Error(`expected a page, got a redirect to ${result.url.href}`);
  return result.page;
}

function loginPage(server: TestServer, client = plain): Promise<Page> {
  return pageAt(new Browser(), requestUrl(server, client), client.redirectUri);
}

function attr(page: Page, pattern: RegExp): string | undefined {
  const m = pattern.exec(page.body);
  return m?.[1] && decodeHtml(m[1]);
}

async function fetchFrom(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, server.issuer), { headers });
}

describe('the brand on every page', () => {
  it('is Latch with no footer, no logo and no brand stylesheet before anything is set', async () => {
    const page = await loginPage(ts);
    expect(page.body).toContain('<title>Sign in · Latch</title>');
    expect(page.body).toContain('<span class="brand-name">Latch</span>');
    expect(page.body).not.toContain('/assets/brand.css');
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('<footer');
  });

  it('shows a change at once, on both instances: name, logo, footer links and the colour of the stylesheet', async () => {
    await putBranding(ts.latch.store, {
      product_name: 'Acme ID',
      logo_uri: `${images.url}/brand.png`,
      primary_color: '#AA3300',
      links: { privacy: 'https://acme.example/privacy', terms: 'https://acme.example/terms', support: 'https://help.acme.example/' },
    });
    for (const server of [ts, second]) {
      const page = await loginPage(server);
      expect(page.body).toContain('<title>Sign in · Acme ID</title>');
      expect(page.body).toContain('<span class="brand-name">Acme ID</span>');
      expect(attr(page, /<a class="footer-privacy" href="([^"]+)"/)).toBe('https://acme.example/privacy');
      expect(attr(page, /<a class="footer-terms" href="([^"]+)"/)).toBe('https://acme.example/terms');
      expect(attr(page, /<a class="footer-support" href="([^"]+)"/)).toBe('https://help.acme.example/');

      // The CSP stays strict: the colour comes from a same-origin stylesheet, the logo from a same-origin copy.
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("img-src 'self' data:");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.body).not.toMatch(/<style|\sstyle=/);

      const stylesheet = attr(page, /<link rel="stylesheet" href="(\/assets\/brand\.css\?v=[^"]+)">/);
      expect(stylesheet).toBeDefined();
      const css = await fetchFrom(server, stylesheet!);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toMatch(/^text\/css/);
      expect(css.headers.get('cache-control')).toBe('no-cache');
      expect(await css.text()).toContain('--primary: #aa3300;');
      const etag = css.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect((await fetchFrom(server, stylesheet!, { 'if-none-match': etag })).status).toBe(304);

      const logo = attr(page, /<img class="brand-logo" src="([^"]+)" alt="">/);
      expect(logo).toMatch(/^\/assets\/logo\/brand\?v=/);
      const res = await fetchFrom(server, logo!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(Buffer.from(await res.arrayBuffer()).equals(brandPng)).toBe(true);
    }
  });

  it('changes the stylesheet with the colour, and the device, logout and error pages wear the brand too', async () => {
    await putBranding(ts.latch.store, { primary_color: '#0b6e4f' });
    const page = await loginPage(second);
    const css = await (await fetchFrom(second, attr(page, /href="(\/assets\/brand\.css\?v=[^"]+)"/)!)).text();
    expect(css).toContain('--primary: #0b6e4f;');
    expect(css).not.toContain('#aa3300');

    const device = await new Browser().request(`${ts.issuer}/device`);
    const error = await new Browser().request(requestUrl(ts, { ...plain, clientId: 'nobody' }));
    const logout = await new Browser().request(`${ts.issuer}/logout`);
    for (const other of [device, error, logout]) {
      expect(other.body).toContain('<span class="brand-name">Acme ID</span>');
      expect(other.body).toContain('class="footer-privacy"');
      expect(other.body).toMatch(/<img class="brand-logo" src="\/assets\/logo\/brand\?v=/);
    }
  });

  it('falls back to the config defaults when a setting is cleared', async () => {
    const configured = await startTestServer({ brandName: 'Configured Co', brandSupportUrl: 'https://support.configured.example/' });
    try {
      const c = await configured.client({ kind: 'web' });
      const page = await loginPage(configured, c);
      expect(page.body).toContain('<span class="brand-name">Configured Co</span>');
      expect(attr(page, /<a class="footer-support" href="([^"]+)"/)).toBe('https://support.configured.example/');
      await putBranding(configured.latch.store, { product_name: 'Stored Co' });
      expect((await loginPage(configured, c)).body).toContain('<span class="brand-name">Stored Co</span>');
      await putBranding(configured.latch.store, { product_name: null });
      expect((await loginPage(configured, c)).body).toContain('<span class="brand-name">Configured Co</span>');
    } finally {
      await configured.close();
    }
  });

  it('does not fetch a logo from a loopback host when LATCH_FETCH_ALLOW_PRIVATE is off', async () => {
    const strict = await startTestServer({ fetchAllowPrivate: false, brandLogoUri: `${images.url}/brand.png` });
    try {
      images.hits.clear();
      const c = await strict.client({ kind: 'web' });
      const page = await loginPage(strict, c);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('<img');
      expect((await fetchFrom(strict, '/assets/logo/brand')).status).toBe(404);
      expect(images.hits.get('/brand.png') ?? 0).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('shows no logo when the brand logo is not an image, and its URL answers 404', async () => {
    await putBranding(ts.latch.store, { logo_uri: `${images.url}/page.html` });
    const page = await loginPage(ts);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<img');
    expect(page.body).toContain('<span class="brand-name">Acme ID</span>');
    expect((await fetchFrom(ts, '/assets/logo/brand')).status).toBe(404);
    await putBranding(ts.latch.store, { logo_uri: `${images.url}/brand.png` });
  });
});

describe('the consent page', () => {
  async function clientWith(name: string, metadata: Partial<ClientMetadata>): Promise<TestClient> {
    const c = await ts.client({ kind: 'web', name, scopes: ['openid email read:photos write:photos'] });
    const record = await ts.latch.store.clients.find(c.clientId);
    await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, ...metadata } });
    return c;
  }

  async function consentPage(c: TestClient, scope = 'openid email read:photos write:photos'): Promise<Page> {
    const browser = new Browser();
    const login = await pageAt(browser, requestUrl(ts, c, { scope, resource: PHOTOS }), c.redirectUri);
    const signedIn = await postLogin(browser, login, user.email, user.password);
    expect(signedIn.status).toBe(303);
    return pageAt(browser, signedIn.location!, c.redirectUri);
  }

  beforeAll(async () => {
    await createApi(ts.latch.store, { identifier: PHOTOS, name: 'Photo library', scopes: ['read:photos', 'write:photos'] });
    await ts.latch.store.apis.update(PHOTOS, { scopeDescriptions: { 'read:photos': 'See your photos and albums' } });
  });

  it("shows the client's logo (a same-origin copy), its website, policy and terms, and the API's scopes in its words", async () => {
    const shop = await clientWith('Print shop', {
      logo_uri: `${images.url}/client.png`,
      client_uri: 'https://print.example/',
      policy_uri: 'https://print.example/privacy',
      tos_uri: 'https://print.example/terms',
    });
    const page = await consentPage(shop);
    expect(page.status).toBe(200);
    const logo = attr(page, /<img class="client-logo" src="([^"]+)"/);
    expect(logo).toMatch(new RegExp(`^/assets/logo/client/${encodeURIComponent(shop.clientId)}\\?v=`));
    const res = await fetchFrom(ts, logo!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(clientPng)).toBe(true);

    expect(attr(page, /<a class="client-client-uri" href="([^"]+)"/)).toBe('https://print.example/');
    expect(attr(page, /<a class="client-policy-uri" href="([^"]+)"/)).toBe('https://print.example/privacy');
    expect(attr(page, /<a class="client-tos-uri" href="([^"]+)"/)).toBe('https://print.example/terms');

    expect(page.body).toContain('<strong class="api-name">Photo library</strong>');
    expect(page.body).toContain('<li class="scope-api">See your photos and albums <code class="scope-name">read:photos</code></li>');
    // No description registered: shown by its name.
    expect(page.body).toMatch(/<li class="scope-custom">.*<code>write:photos<\/code><\/li>/);
    expect(page.body).toContain('<li>Your email address</li>');
    expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data:");
  });

  it('shows the scope descriptions as they are changed, and in the page language for the standard scopes', async () => {
    await ts.latch.store.apis.update(PHOTOS, { scopeDescriptions: { 'read:photos': 'Ver tus fotos', 'write:photos': 'Subir fotos' } });
    const c = await clientWith('Álbum', {});
    const browser = new Browser();
    const login = await pageAt(browser, requestUrl(ts, c, { scope: 'openid email read:photos write:photos', resource: PHOTOS, ui_locales: 'es' }), c.redirectUri);
    const consent = await pageAt(browser, (await postLogin(browser, login, user.email, user.password)).location!, c.redirectUri);
    expect(consent.body).toContain('<html lang="es">');
    expect(consent.body).toContain('<li>Tu dirección de correo electrónico</li>');
    expect(consent.body).toContain('Ver tus fotos <code class="scope-name">read:photos</code>');
    expect(consent.body).toContain('Subir fotos <code class="scope-name">write:photos</code>');
    await ts.latch.store.apis.update(PHOTOS, { scopeDescriptions: { 'read:photos': 'See your photos and albums' } });
  });

  it.each([
    ['too big', '/big.png'],
    ['not an image', '/page.html'],
    ['an SVG posing as a PNG', '/fake.png'],
    ['missing', '/nothing-here.png'],
  ])('shows no logo, and still the page, when the logo is %s', async (_what, path) => {
    const c = await clientWith(`Logo ${path}`, { logo_uri: `${images.url}${path}`, policy_uri: 'https://x.example/privacy' });
    const page = await consentPage(c, 'openid email read:photos');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('class="client-logo"');
    expect(page.body.match(/<img /g)).toHaveLength(1); // the brand's logo, set above
    expect(page.body).toContain('class="client-policy-uri"');
    expect((await fetchFrom(ts, `/assets/logo/client/${encodeURIComponent(c.clientId)}`)).status).toBe(404);
  });

  it('has no logo route answer for a client without a logo or an unknown client', async () => {
    expect((await fetchFrom(ts, `/assets/logo/client/${encodeURIComponent(plain.clientId)}`)).status).toBe(404);
    expect((await fetchFrom(ts, '/assets/logo/client/nobody')).status).toBe(404);
  });
});
