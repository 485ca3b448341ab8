import { describe, expect, it } from 'vitest';
import { consentPage, deviceConfirmPage, errorPage, loginPage, message, page, html } from './index.js';

const branding = {
  productName: 'Acme <ID>',
  logoSrc: '/assets/logo/brand?v=abc',
  stylesheet: '/assets/brand.css?v=def',
  links: { privacy: 'https://acme.example/privacy?a=1&b=2', terms: 'javascript:alert(1)', support: null },
};

describe('branding on the layout', () => {
  it('shows the product name, the same-origin logo and stylesheet, and the safe footer links', () => {
    const out = page({ title: 'T', body: html`<h1>x</h1>`, branding });
    expect(out).toContain('<title>T · Acme &lt;ID&gt;</title>');
    expect(out).toContain('<link rel="stylesheet" href="/assets/latch.css">\n<link rel="stylesheet" href="/assets/brand.css?v=def">');
    expect(out).toContain('<img class="brand-logo" src="/assets/logo/brand?v=abc" alt="">');
    expect(out).not.toContain('brand-mark');
    expect(out).toContain('<a class="footer-privacy" href="https://acme.example/privacy?a=1&amp;b=2" rel="noopener noreferrer">Privacy</a>');
    expect(out).not.toContain('javascript:');
    expect(out).not.toContain('footer-terms');
    expect(out).not.toContain('footer-support');
  });

  it('never takes a logo or stylesheet from another origin', () => {
    const out = page({
      title: 'T',
      body: html`<h1>x</h1>`,
      branding: { productName: 'X', logoSrc: 'https://evil.example/x.png', stylesheet: '//evil.example/x.css' },
    });
    expect(out).not.toContain('evil.example');
    expect(out).toContain('brand-mark');
    expect(out).not.toContain('<footer');
  });

  it('translates the footer', () => {
    expect(page({ title: 'T', body: html`<h1>x</h1>`, branding, locale: 'fr' })).toContain('>Confidentialité</a>');
  });
});

describe('the consent page with client metadata and an API', () => {
  const base = { action: '/interaction/abc/consent', csrf: 'c', clientName: 'Shop', userEmail: 'ada@example.com' };

  it('shows the client logo copy, its links and the API scopes grouped under the API name', () => {
    const out = consentPage({
      ...base,
      scopes: ['openid', 'read:photos', 'write:photos', '__proto__'],
      client: { logoSrc: '/assets/logo/client/shop?v=1', clientUri: 'https://shop.example/', policyUri: 'https://shop.example/p', tosUri: 'data:text/html,x' },
      api: { name: 'Photos <API>', scopeDescriptions: { 'read:photos': 'See <your> photos' } },
    });
    expect(out).toContain('<img class="client-logo" src="/assets/logo/client/shop?v=1" alt="" width="64" height="64">');
    expect(out).toContain('class="client-client-uri" href="https://shop.example/"');
    expect(out).toContain('class="client-policy-uri" href="https://shop.example/p"');
    expect(out).not.toContain('data:text/html');
    expect(out).toContain('<strong class="api-name">Photos &lt;API&gt;</strong>');
    expect(out).toContain('<li class="scope-api">See &lt;your&gt; photos <code class="scope-name">read:photos</code></li>');
    expect(out).toMatch(/<li class="scope-custom">.*<code>write:photos<\/code><\/li>/);
    expect(out).toMatch(/<li class="scope-custom">.*<code>__proto__<\/code><\/li>/);
  });

  it('leads into the API scopes alone when no personal data is asked for', () => {
    const out = consentPage({ ...base, scopes: ['read:photos'], api: { name: 'Photos', scopeDescriptions: {} } });
    expect(out).toContain('This will allow <strong>Shop</strong> to use:');
    expect(out).not.toContain('is not asking for any of your personal information');
  });

  it('is German with locale de, and so is the device confirmation', () => {
    const out = consentPage({ ...base, scopes: ['email'], locale: 'de' });
    expect(out).toContain('<html lang="de">');
    expect(out).toContain('<title>Shop Zugriff erlauben? · Latch</title>');
    expect(out).toContain('<li>Ihre E-Mail-Adresse</li>');
    const device = deviceConfirmPage({ ...base, scopes: [], userCode: 'ABCD-EFGH', locale: 'es', client: { logoSrc: '/assets/logo/client/tv?v=2' } });
    expect(device).toContain('<html lang="es">');
    expect(device).toContain('Shop</span> quiere acceder a tu cuenta desde tu dispositivo');
    expect(device).toContain('class="client-logo"');
  });
});

describe('messages on pages', () => {
  it('shows a catalogue message in the page language, with nested parameters', () => {
    const out = loginPage({ action: '/x', csrf: 'c', clientName: 'A', locale: 'fr', error: message('login.error_throttled', { wait: message('wait.minutes', { n: 3 }) }) });
    expect(out).toContain('Réessayez dans 3 minutes.');
  });

  it('keeps the protocol details apart from the words for the person', () => {
    const out = errorPage({ error: 'invalid_client', description: message('error.invalid_client'), details: 'client_id <x> is unknown', locale: 'de' });
    expect(out).toContain('<p>Diese Anwendung ist hier nicht bekannt.</p>');
    expect(out).toContain('<span lang="en">client_id &lt;x&gt; is unknown</span>');
    expect(out).toContain('Fehlercode: <code>invalid_client</code>');
  });
});
