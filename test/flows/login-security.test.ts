import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/tokens/hash.js';
import { Browser, findLoginForm, postLogin, type Page } from '../helpers/browser.js';
import { openLoginPage, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

/** Login page protections: anti-framing and CSP headers, cookie flags, rate limits, no session id at rest. */
describe('login page security', () => {
  let ts: TestServer;
  let web: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    ts = await startTestServer({ throttleMaxFailures: 3 });
    web = await ts.client({ kind: 'web' });
    user = await ts.user();
  });
  afterAll(() => ts?.close());

  const loginPage = (browser: Browser): Promise<Page> => openLoginPage(ts, web, browser);


  it('serves pages that cannot be framed or cached, with a strict CSP', async () => {
    const page = await loginPage(new Browser());
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Issue 13: the login page runs exactly two scripts of its own origin (passkey sign-in), and calls only itself.
    const scripts = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'))?.split(/\s+/).slice(1);
    expect(scripts).toEqual([`${ts.issuer}/assets/simplewebauthn-browser.js`, `${ts.issuer}/assets/passkeys.js`]);
    expect(csp).toContain("connect-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)/i);
  });

  it('sets HttpOnly, SameSite=Lax cookies and keeps only a digest of the session id', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const answer = await postLogin(browser, page, user.email, user.password);
    expect(answer.status).toBe(303);
    const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith('latch_session='));
    expect(setCookie).toBeDefined();
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const value = setCookie!.split(';')[0]!.split('=')[1]!;
    expect(await ts.latch.store.sessions.find(value, Math.floor(Date.now() / 1000))).toBeUndefined();
    expect(await ts.latch.store.sessions.find(digest(value), Math.floor(Date.now() / 1000))).toBeDefined();
  });

  it('locks an account from one address after its failures there: even the right password gets 429 with Retry-After', async () => {
    const target = await ts.user();
    const browser = new Browser();
    let page = await loginPage(browser);
    for (let attempt = 1; attempt <= 3; attempt++) {
      page = await postLogin(browser, page, target.email, `wrong-${attempt}`);
      expect(page.status).toBe(401);
    }
    const blocked = await postLogin(browser, page, target.email, target.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatch(/too many failed sign-ins/i);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(findLoginForm(blocked)).toBeDefined();
    expect(blocked.headers.get('location')).toBeNull();
    // Another account from the same address is not locked out by this one.
    const other = await ts.user();
    const fresh = new Browser();
    const ok = await postLogin(fresh, await loginPage(fresh), other.email, other.password);
    expect(ok.status).toBe(303);
  });

  it('a successful login resets the account count', async () => {
    const target = await ts.user();
    const browser = new Browser();
    let page = await loginPage(browser);
    page = await postLogin(browser, page, target.email, 'wrong-1');
    page = await postLogin(browser, page, target.email, 'wrong-2');
    expect((await postLogin(browser, page, target.email, target.password)).status).toBe(303);
    const again = new Browser();
    let second = await loginPage(again);
    second = await postLogin(again, second, target.email, 'wrong-3');
    second = await postLogin(again, second, target.email, 'wrong-4');
    expect((await postLogin(again, second, target.email, target.password)).status).toBe(303);
  });
});

describe('cookies on an https issuer', () => {
  it('are Secure (as behind a TLS-terminating proxy)', async () => {
    const ts = await startTestServer({ issuer: 'https://id.example.test' });
    try {
      const client = await ts.client({ kind: 'web' });
      const url = new URL(`${ts.url}/authorize`);
      const params = { response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'openid', state: random() };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(303);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('latch_browser='));
      expect(cookie).toMatch(/;\s*Secure/i);
    } finally {
      await ts.close();
    }
  });
});
