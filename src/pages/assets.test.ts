import { createHash } from 'node:crypto';
import { accountsCss } from './assets-accounts.js';
import { passkeysScript } from './assets-passkeys.js';
import { describe, expect, it } from 'vitest';
import { assets, formPostScript, latchCss } from './assets.js';

describe('assets', () => {
  it('serves the stylesheet and the form_post script with content types', () => {
    // Issue 13: the factor pages' few styles follow the stylesheet's.
    expect(assets['/assets/latch.css']).toMatchObject({ body: latchCss + accountsCss, contentType: 'text/css; charset=utf-8' });
    expect(assets['/assets/form-post.js']).toMatchObject({
      body: formPostScript,
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(Object.keys(assets).sort()).toEqual(['/assets/form-post.js', '/assets/frontchannel-logout.js', '/assets/latch.css', '/assets/passkeys.js', '/assets/simplewebauthn-browser.js']);
  });

  it('serves the passkey scripts: the WebAuthn browser bundle as shipped, and a script that parses', () => {
    expect(assets['/assets/simplewebauthn-browser.js']?.body).toContain('SimpleWebAuthnBrowser');
    expect(assets['/assets/passkeys.js']).toMatchObject({ body: passkeysScript, contentType: 'text/javascript; charset=utf-8' });
    expect(() => new Function(passkeysScript)).not.toThrow();
  });

  it('uses a quoted sha256 prefix as ETag', () => {
    for (const asset of Object.values(assets)) {
      const digest = createHash('sha256').update(asset.body).digest('base64url');
      expect(asset.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect(digest.startsWith(asset.etag.slice(1, -1))).toBe(true);
    }
  });

  it('has a stylesheet with visible focus and a dark scheme', () => {
    expect(latchCss).toContain(':focus-visible');
    expect(latchCss).not.toMatch(/outline:\s*(none|0)\b/);
    expect(latchCss).toContain('prefers-color-scheme: dark');
  });

  it('submits the first form without relying on form.submit being unshadowed', () => {
    expect(formPostScript).toContain('HTMLFormElement.prototype.submit.call');
    expect(() => new Function(formPostScript)).not.toThrow();
  });
});
