import { describe, expect, it } from 'vitest';
import {
  consentPage,
  errorPage,
  formPostPage,
  html,
  loggedOutPage,
  loginPage,
  logoutConfirmPage,
  page,
} from './index.js';

const hostile = `"><img src=x onerror=alert(1)><script>alert('x')</script>\``;
const escapedHostile = '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#96;';

/** What the CSP (no inline script or style) and basic accessibility require of every page. */
function expectWellFormedPage(out: string): void {
  expect(out.startsWith('<!doctype html>')).toBe(true);
  expect(out).toMatch(/<html lang="[A-Za-z-]+">/);
  expect(out).toContain('<meta charset="utf-8">');
  expect(out).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(out).toContain('<link rel="stylesheet" href="/assets/latch.css">');
  expect(out).toMatch(/<main class="card">[\s\S]*<h1>[\s\S]*<\/main>/);
  expect(out).not.toMatch(/<(style|img|iframe|object|embed|base)\b/i);
  for (const [tag] of out.matchAll(/<[a-z][^>]*>/gi)) {
    const names = tag.replace(/"[^"]*"/g, '""');
    expect(names, tag).not.toMatch(/\s(style|on[a-z]+|srcdoc|formaction)=/i);
  }
  for (const [, href] of out.matchAll(/\shref="([^"]*)"/g)) expect(href).toBe('/assets/latch.css');
  for (const [tag] of out.matchAll(/<script\b[^>]*>[\s\S]*?<\/script>/gi)) {
    expect(tag).toMatch(/^<script src="\/assets\/[a-z-]+\.js"><\/script>$/);
  }
  for (const [, id] of out.matchAll(/<input id="([^"]+)"/g)) {
    expect(out).toContain(`<label for="${id}">`);
  }
}

function hiddenField(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${value}">`;
}

describe('page', () => {
  it('wraps the body in the layout with an escaped title', () => {
    const out = page({ title: '<x>', body: html`<h1>Hi</h1>` });
    expectWellFormedPage(out);
    expect(out).toContain('<title>&lt;x&gt; · Latch</title>');
    expect(out).toContain('<span class="brand-name">Latch</span>');
  });

  it('uses the locale and the product name, falling back to en and Latch', () => {
    expect(page({ title: 't', body: html`<h1>x</h1>`, locale: 'de', branding: { productName: 'Acme <ID>' } })).toMatch(
      /<html lang="de">[\s\S]*Acme &lt;ID&gt;/,
    );
    expect(page({ title: 't', body: html`<h1>x</h1>` })).toContain('<html lang="en">');
  });
});

describe('loginPage', () => {
  const base = { action: '/interaction/abc/login', csrf: 'csrf-token', clientName: 'Acme Web' };

  it('has the form, the inputs with autocomplete, the csrf field and the button', () => {
    const out = loginPage(base);
    expectWellFormedPage(out);
    expect(out).toContain('<form method="post" action="/interaction/abc/login">');
    expect(out).toMatch(/<input id="email" type="email" name="email" autocomplete="username" required[^>]* value=""[^>]*>/);
    expect(out).toMatch(/<input id="password" type="password" name="password" autocomplete="current-password" required[^>]*>/);
    expect(out).toContain(hiddenField('csrf', 'csrf-token'));
    expect(out).toContain('<button type="submit" class="button button-primary">Continue</button>');
    expect(out).toContain('to continue to <strong>Acme Web</strong>');
    expect(out).not.toContain('role="alert"');
    expect(out).toMatch(/id="email"[^>]* autofocus>/);
  });

  it('prefills the email and focuses the password', () => {
    const out = loginPage({ ...base, email: 'ada@example.com' });
    expect(out).toMatch(/name="email"[^>]* value="ada@example.com"/);
    expect(out).toMatch(/id="password"[^>]* autofocus>/);
  });

  it('shows the error in an alert tied to the inputs', () => {
    const out = loginPage({ ...base, error: 'Wrong email or password.' });
    expect(out).toContain('<div class="alert" role="alert" id="login-error">Wrong email or password.</div>');
    expect(out).toMatch(/id="password"[^>]* aria-invalid="true" aria-describedby="login-error"/);
  });

  it('escapes hostile client name, email, error and csrf', () => {
    const out = loginPage({ ...base, clientName: hostile, email: hostile, error: hostile, csrf: hostile });
    expectWellFormedPage(out);
    expect(out).not.toContain('<script>alert');
    expect(out.split(escapedHostile)).toHaveLength(5);
  });

  it('refuses an unsafe form action', () => {
    expect(() => loginPage({ ...base, action: 'javascript:alert(1)' })).toThrow(TypeError);
  });
});

describe('consentPage', () => {
  const base = {
    action: '/interaction/abc/consent',
    csrf: 'csrf-token',
    clientName: 'Acme Web',
    userEmail: 'ada@example.com',
    scopes: ['openid', 'email', 'offline_access', 'api:read'],
  };

  it('has one form with csrf and the deny and allow buttons', () => {
    const out = consentPage(base);
    expectWellFormedPage(out);
    expect(out.match(/<form /g)).toHaveLength(1);
    expect(out).toContain('<form method="post" action="/interaction/abc/consent">');
    expect(out).toContain(hiddenField('csrf', 'csrf-token'));
    expect(out).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(out).toMatch(/<button type="submit" name="decision" value="allow"[^>]*>Allow<\/button>/);
    expect(out).toContain('Acme Web</span> wants to access your account');
    expect(out).toContain('Signed in as <strong>ada@example.com</strong>');
  });

  it('lists the scopes in words and unknown scopes by name', () => {
    const out = consentPage(base);
    expect(out).toContain('<li>Sign you in (your user ID)</li>');
    expect(out).toContain('<li>Your email address</li>');
    expect(out).toContain('<li>Keep access while you are away (stay signed in)</li>');
    expect(out).toMatch(/<li class="scope-custom">.*<code>api:read<\/code><\/li>/);
  });

  it('says so when no scope is asked for', () => {
    expect(consentPage({ ...base, scopes: [] })).toContain('is not asking for any of your personal information');
  });

  it('escapes hostile client name, email and scopes', () => {
    const out = consentPage({ ...base, clientName: hostile, userEmail: hostile, scopes: [hostile] });
    expectWellFormedPage(out);
    expect(out).not.toContain('<script>alert');
    expect(out).toContain(`<code>${escapedHostile}</code>`);
    expect(out).toContain(`<title>Allow ${escapedHostile}? · Latch</title>`);
  });
});

describe('errorPage', () => {
  it('shows the code and the description', () => {
    const out = errorPage({ error: 'invalid_client', description: 'Unknown client.' });
    expectWellFormedPage(out);
    expect(out).toContain('<code>invalid_client</code>');
    expect(out).toContain('<p>Unknown client.</p>');
    expect(out).toContain('role="alert"');
  });

  it('has a default description and escapes hostile text', () => {
    expect(errorPage({ error: 'server_error' })).toContain('The request could not be completed.');
    const out = errorPage({ error: hostile, description: hostile });
    expect(out).not.toContain('<script>alert');
    expect(out.split(escapedHostile)).toHaveLength(3);
  });
});

describe('logoutConfirmPage', () => {
  it('posts csrf, the hidden fields and the decision buttons', () => {
    const out = logoutConfirmPage({
      action: '/session/end',
      csrf: 'csrf-token',
      clientName: 'Acme Web',
      hidden: { post_logout_redirect_uri: 'https://app.example/bye?a=1&b=2', state: 'xyz', csrf: 'forged', logout: 'yes' },
    });
    expectWellFormedPage(out);
    expect(out).toContain('<h1>Do you want to sign out?</h1>');
    expect(out).toContain('<form method="post" action="/session/end">');
    expect(out).toContain(hiddenField('csrf', 'csrf-token'));
    expect(out).toContain(hiddenField('post_logout_redirect_uri', 'https://app.example/bye?a=1&amp;b=2'));
    expect(out).toContain(hiddenField('state', 'xyz'));
    expect(out.match(/name="csrf"/g)).toHaveLength(1);
    expect(out).not.toContain('name="logout" value="yes">');
    expect(out).toMatch(/<button type="submit" name="logout" value="yes"[^>]*>Sign out<\/button>/);
    expect(out).toMatch(/<button type="submit" name="logout" value="no"[^>]*>Stay signed in<\/button>/);
    expect(out).toContain('<strong>Acme Web</strong>');
  });

  it('works without a client name and escapes hostile hidden fields', () => {
    const out = logoutConfirmPage({ action: '/session/end', csrf: 'c', hidden: { [hostile]: hostile } });
    expectWellFormedPage(out);
    expect(out).toContain(hiddenField(escapedHostile, escapedHostile));
    expect(out).not.toContain('<script>alert');
  });
});

describe('loggedOutPage', () => {
  it('says you are signed out, with or without a client name', () => {
    expectWellFormedPage(loggedOutPage());
    expect(loggedOutPage()).toContain('<h1>You are signed out</h1>');
    expect(loggedOutPage({ clientName: 'Acme Web' })).toContain('<strong>Acme Web</strong>');
    expect(loggedOutPage({ clientName: hostile })).not.toContain('<script>alert');
  });
});

describe('formPostPage', () => {
  it('posts the fields to the redirect URI with an external script and a noscript button', () => {
    const out = formPostPage({
      action: 'https://client.example/cb',
      fields: { code: 'abc', state: 'a"b<c>', iss: 'https://id.example', skipped: undefined },
    });
    expectWellFormedPage(out);
    expect(out).toContain('<form method="post" action="https://client.example/cb">');
    expect(out).toContain(hiddenField('code', 'abc'));
    expect(out).toContain(hiddenField('state', 'a&quot;b&lt;c&gt;'));
    expect(out).toContain(hiddenField('iss', 'https://id.example'));
    expect(out).not.toContain('skipped');
    expect(out).toMatch(/<noscript>[\s\S]*<button type="submit"[^>]*>Continue<\/button>[\s\S]*<\/noscript>/);
    expect(out).toContain('<script src="/assets/form-post.js"></script>');
  });

  it('refuses a non-http(s) action', () => {
    expect(() => formPostPage({ action: 'javascript:alert(1)', fields: {} })).toThrow(TypeError);
    expect(() => formPostPage({ action: 'data:text/html,x', fields: {} })).toThrow(TypeError);
  });
});
