import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveBranding, putBranding } from '../admin/branding.js';
import { brandLogoPath } from '../http/page-chrome.js';
import { LOCALES, translator } from '../pages/messages/index.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { BRAND_LOGO_PATH, issuerLink, type MailBrand, mailBrand, passwordChangedMessage, resetPasswordMessage, verifyEmailMessage } from './messages.js';

const issuer = 'https://id.example.com';
const link = `${issuer}/account/reset?token=abc&lang=de`;
const escapedLink = `${issuer}/account/reset?token=abc&amp;lang=de`;

const brand = (overrides: Partial<MailBrand['branding']> = {}): MailBrand => ({
  issuer,
  branding: { ...effectiveBranding(undefined, {}), productName: 'Acme', ...overrides },
});

const templates = {
  verify: (b: MailBrand, locale: (typeof LOCALES)[number]) => verifyEmailMessage(b, { to: 'ana@example.com', locale }, { link, validMinutes: 60 }),
  reset: (b: MailBrand, locale: (typeof LOCALES)[number]) => resetPasswordMessage(b, { to: 'ana@example.com', locale }, { link, validMinutes: 30 }),
  changed: (b: MailBrand, locale: (typeof LOCALES)[number]) => passwordChangedMessage(b, { to: 'ana@example.com', locale }, { resetLink: link }),
} as const;

const subjects = { verify: 'mail.verify.subject', reset: 'mail.reset.subject', changed: 'mail.changed.subject' } as const;
const actions = { verify: 'mail.verify.action', reset: 'mail.reset.action', changed: 'mail.changed.action' } as const;
const leads = { verify: 'mail.verify.lead', reset: 'mail.reset.lead', changed: 'mail.changed.lead' } as const;

describe.each(Object.keys(templates) as Array<keyof typeof templates>)('the %s email', (name) => {
  it.each(LOCALES)('is worded in %s from the catalogue, with the link in both parts', (locale) => {
    const t = translator(locale);
    const message = templates[name](brand(), locale);
    expect(message.to).toBe('ana@example.com');
    expect(message.subject).toBe(t.text(subjects[name], { product: 'Acme' }));
    expect(message.subject).toContain('Acme');
    const lead = t.text(leads[name], { product: 'Acme', email: 'ana@example.com' });
    expect(message.text).toContain(lead);
    expect(message.text).toContain(`${t.text(actions[name])}:\n${link}\n`);
    expect(message.text).toContain(t.text('mail.sent_by', { product: 'Acme' }));
    expect(message.html).toContain(`<html lang="${locale}">`);
    expect(message.html).toContain(`href="${escapedLink}"`);
    expect(message.html).toContain(`>${escapedLink}</a>`);
    expect(message.html).toContain(`<title>${message.subject.replace(/&/g, '&amp;')}</title>`);
    expect(message.html).not.toContain(link); // only ever escaped in HTML
    if (name !== 'changed') expect(message.text).toContain(name === 'verify' ? '60' : '30');
  });
});

describe('branding', () => {
  it('escapes a hostile product name and recipient in the HTML, and keeps them as they are in the text', () => {
    const hostile = '<script>alert("x")</script> & \'Co\'';
    for (const render of Object.values(templates)) {
      const message = render(brand({ productName: hostile }), 'en');
      expect(message.html).not.toContain('<script>');
      expect(message.html).not.toContain(hostile);
      expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;');
      expect(message.text.startsWith(`${hostile}\n`)).toBe(true);
      expect(message.subject).toContain(hostile);
    }
    const odd = verifyEmailMessage(brand(), { to: 'a"b<i>@example.com', locale: 'en' }, { link, validMinutes: 5 });
    expect(odd.html).toContain('a&quot;b&lt;i&gt;@example.com');
    expect(odd.html).not.toContain('<i>');
  });

  it('uses the primary colour, the logo as an absolute URL of the issuer and the footer links', () => {
    const message = templates.reset(
      brand({
        primaryColor: '#ffd700',
        logoUri: 'https://cdn.example.net/logo.png',
        links: { privacy: 'https://acme.example/privacy?a=1&b=2', terms: null, support: 'https://acme.example/help' },
      }),
      'de',
    );
    expect(BRAND_LOGO_PATH).toBe(brandLogoPath);
    expect(message.html).toContain(`<img src="${issuer}/assets/logo/brand" alt="Acme"`);
    expect(message.html).not.toContain('cdn.example.net');
    expect(message.html).toContain('background:#ffd700;color:#000000'); // dark text on a light button
    expect(message.html).toContain('<a href="https://acme.example/privacy?a=1&amp;b=2" style="color:#59636e">Datenschutz</a>');
    expect(message.html).toContain('>Hilfe</a>');
    expect(message.text).toContain('Datenschutz: https://acme.example/privacy?a=1&b=2\n');
    expect(message.text).not.toContain('Nutzungsbedingungen');
    const plain = templates.reset(brand(), 'en');
    expect(plain.html).not.toContain('<img');
    expect(plain.html).toContain('background:#1f5bd8;color:#ffffff');
  });

  it('leaves out a footer link that is not http(s) and a colour that is not #rrggbb', () => {
    const message = templates.verify(
      brand({ primaryColor: 'red;background:url(x)', links: { privacy: 'javascript:alert(1)', terms: null, support: null } }),
      'en',
    );
    expect(message.html).not.toContain('javascript:');
    expect(message.text).not.toContain('javascript:');
    expect(message.html).not.toContain('url(x)');
  });

  it('keeps German text intact', () => {
    const message = templates.reset(brand(), 'de');
    expect(message.subject).toBe('Setzen Sie Ihr Acme-Passwort zurück');
    expect(message.text).toContain('Passwort zurücksetzen:');
    expect(message.html).toContain('Der Link funktioniert einmal und läuft in 30 Minuten ab.');
  });
});

describe('links', () => {
  it('are absolute URLs of the issuer only', () => {
    expect(issuerLink(issuer, `${issuer}/verify?t=1`)).toBe(`${issuer}/verify?t=1`);
    expect(issuerLink('http://localhost:3000', 'http://localhost:3000/x')).toBe('http://localhost:3000/x');
    expect(issuerLink('https://example.com/auth', 'https://example.com/auth/reset')).toBe('https://example.com/auth/reset');
    for (const bad of [
      '/account/reset?token=abc',
      'https://evil.example/reset',
      'https://id.example.com.evil.example/reset',
      'http://id.example.com/reset',
      'https://id.example.com:8443/reset',
      'https://user:pw@id.example.com/reset',
      'javascript:alert(1)',
      'mailto:ana@example.com',
    ]) {
      expect(() => issuerLink(issuer, bad), bad).toThrow(TypeError);
    }
    expect(() => issuerLink('https://example.com/auth', 'https://example.com/other')).toThrow(TypeError);
    expect(() => issuerLink('https://example.com/auth', 'https://example.com/authx/reset')).toThrow(TypeError);
  });

  it('of another origin are refused by every template', () => {
    const to = { to: 'ana@example.com', locale: 'en' } as const;
    expect(() => verifyEmailMessage(brand(), to, { link: 'https://evil.example/v', validMinutes: 5 })).toThrow(TypeError);
    expect(() => resetPasswordMessage(brand(), to, { link: 'https://evil.example/r', validMinutes: 5 })).toThrow(TypeError);
    expect(() => passwordChangedMessage(brand(), to, { resetLink: 'https://evil.example/r' })).toThrow(TypeError);
    expect(passwordChangedMessage(brand(), to).text).not.toContain('http');
  });
});

describe('mailBrand', () => {
  let root: string;
  let store: OpenedStore;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'latch-mail-'));
    store = await openMigratedStore({ dataDir: root });
  });
  afterAll(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the branding as the pages do: stored settings over the config', async () => {
    const config = { issuer, brandName: 'From config', brandPrimaryColor: '#112233' };
    expect((await mailBrand(store, config)).branding.productName).toBe('From config');
    await putBranding(store, { product_name: 'Stored Name' });
    const b = await mailBrand(store, config);
    expect(b.issuer).toBe(issuer);
    expect(b.branding.productName).toBe('Stored Name');
    expect(b.branding.primaryColor).toBe('#112233');
    expect(templates.verify(b, 'fr').subject).toBe('Confirmez votre adresse e-mail pour Stored Name');
  });
});
