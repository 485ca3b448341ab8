import { describe, expect, it } from 'vitest';
import { deviceConfirmPage, deviceDonePage, deviceUserCodePage } from './index.js';

const hostile = `"><script>alert(1)</script>`;

/** No inline script or style, every input labelled, forms posting to the given action with a CSRF field. */
function expectSafePage(out: string): void {
  expect(out.startsWith('<!doctype html>')).toBe(true);
  expect(out).not.toMatch(/<(style|script|iframe)\b/i);
  expect(out).not.toMatch(/\s(style|on[a-z]+)=/i);
  expect(out).not.toContain('<script>alert(1)</script>');
  for (const [, id] of out.matchAll(/<input id="([^"]+)"/g)) expect(out).toContain(`<label for="${id}">`);
}

describe('deviceUserCodePage', () => {
  it('asks for the code in a labelled field, with the CSRF token, prefilled and escaped', () => {
    const out = deviceUserCodePage({ action: '/device', csrf: 'csrf-1', userCode: hostile });
    expectSafePage(out);
    expect(out).toContain('<form method="post" action="/device">');
    expect(out).toContain('<input type="hidden" name="csrf" value="csrf-1">');
    expect(out).toMatch(/<input id="user_code" class="user-code" type="text" name="user_code" required autocomplete="off"/);
    expect(out).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(out).not.toContain('role="alert"');
  });

  it('shows an error tied to the field', () => {
    const out = deviceUserCodePage({ action: '/device', csrf: 'c', error: 'That code is not valid.' });
    expect(out).toContain('<div class="alert" role="alert" id="user-code-error">That code is not valid.</div>');
    expect(out).toContain('aria-invalid="true" aria-describedby="user-code-error"');
    expect(out).toContain('value=""');
  });

  it('refuses an unsafe form action', () => {
    expect(() => deviceUserCodePage({ action: 'javascript:alert(1)', csrf: 'c' })).toThrow(TypeError);
  });
});

describe('deviceConfirmPage', () => {
  const base = { action: '/device/abc/decision?user_code=WDJB-MJHT', csrf: 'csrf-2', userEmail: 'ada@example.com', userCode: 'WDJB-MJHT' };

  it('names the application, the account, the scopes and the code, with allow and deny buttons', () => {
    const out = deviceConfirmPage({ ...base, clientName: 'Living room TV', scopes: ['openid', 'email', 'photos:read'] });
    expectSafePage(out);
    expect(out).toContain('Living room TV</span> on your device wants to access your account');
    expect(out).toContain('Signed in as <strong>ada@example.com</strong>');
    expect(out).toContain('<li>Your email address</li>');
    expect(out).toContain('<code>photos:read</code>');
    expect(out).toContain('<code class="user-code">WDJB-MJHT</code>');
    expect(out).toContain('<form method="post" action="/device/abc/decision?user_code=WDJB-MJHT">');
    expect(out).toContain('<button type="submit" name="decision" value="deny"');
    expect(out).toContain('<button type="submit" name="decision" value="allow"');
  });

  it('escapes a hostile client name', () => {
    const out = deviceConfirmPage({ ...base, clientName: hostile, scopes: [] });
    expectSafePage(out);
    expect(out).toContain('&quot;&gt;&lt;script&gt;');
    expect(out).toContain('is not asking for any of your personal information');
  });
});

describe('deviceDonePage', () => {
  it('tells the person to return to the device, or that access was denied', () => {
    const ok = deviceDonePage({ clientName: 'TV', approved: true });
    expectSafePage(ok);
    expect(ok).toContain('<h1>You can return to your device</h1>');
    const denied = deviceDonePage({ clientName: hostile, approved: false });
    expectSafePage(denied);
    expect(denied).toContain('<h1>Access denied</h1>');
  });
});
