/**
 * The per-browser cookie (`latch_browser`): CSRF tokens are derived from it and interactions are bound to it. Like the
 * session cookie it gets a new value at sign-in, and the browser's open interactions (other tabs, a device
 * confirmation) follow it, so they keep working while the value seen before the sign-in opens nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findConsentForm, findLoginForm, type Page } from '../helpers/browser.js';
import { findUserCodeForm, requestDeviceAuthorization } from '../helpers/device.js';
import { authorizeUrl, expectTokens, pkcePair, random, redeemCode } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let app: TestClient;
let other: TestClient;
let tv: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  app = await ts.client({ kind: 'web' });
  other = await ts.client({ kind: 'web' });
  tv = await ts.client({ kind: 'device', name: 'Living room TV' });
});

afterAll(async () => {
  await ts?.close();
});

/** Opens an authorization request in `browser` (a tab) and returns the login page it lands on. */
async function openTab(browser: Browser, c: TestClient): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(ts, {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid email',
    state: random(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const result = await browser.navigate(url, { stopAt: c.redirectUri });
  if (result.kind !== 'page' || !findLoginForm(result.page)) throw new Error('expected a login page');
  expect(result.page.url.pathname).toMatch(/^\/interaction\//);
  return { page: result.page, verifier };
}

/** Continues a tab at its interaction URL (consenting if asked) until the code comes back. */
async function finish(browser: Browser, c: TestClient, tab: { page: Page; verifier: string }): Promise<URL> {
  let result = await browser.navigate(tab.page.url, { stopAt: c.redirectUri });
  if (result.kind === 'page') {
    const consent = findConsentForm(result.page);
    if (!consent) throw new Error(`expected consent or a redirect, got ${result.page.status}: ${result.page.body.slice(0, 400)}`);
    result = await browser.submit(consent, { decision: 'allow' }, { stopAt: c.redirectUri });
  }
  if (result.kind !== 'redirect') throw new Error(`no redirect back: ${result.page.status} ${result.page.body.slice(0, 400)}`);
  return result.url;
}

/** Posts the login form on `page`; returns Latch's answer to the POST (following it until consent or the client). */
async function signIn(browser: Browser, page: Page): Promise<Page> {
  const form = findLoginForm(page)!;
  // The clients' redirect URIs are https; Latch is on http://127.0.0.1.
  const res = await browser.submit(form, { email: user.email, password: user.password }, { stopAt: 'https://' });
  return res.trail[0]!;
}

describe('latch_browser at sign-in', () => {
  it('gets a new value with the session, and the other tab of that browser still completes', async () => {
    const browser = new Browser();
    const tab1 = await openTab(browser, app);
    const tab2 = await openTab(browser, other);
    const before = browser.cookies(ts.issuer).latch_browser;
    expect(before).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const loginAnswer = await signIn(browser, tab1.page);
    expect(loginAnswer.status).toBe(303);
    const setCookies = loginAnswer.headers.getSetCookie();
    expect(setCookies.some((c) => c.startsWith('latch_session='))).toBe(true);
    const rotated = setCookies.find((c) => c.startsWith('latch_browser='));
    expect(rotated, setCookies.join('\n')).toBeDefined();
    const after = browser.cookies(ts.issuer).latch_browser;
    expect(after).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after).not.toBe(before);
    expect(rotated).toMatch(/HttpOnly/i);
    expect(rotated).toMatch(/SameSite=Lax/i);

    // The first tab goes on to consent under the new value, and gets its code.
    const code1 = await finish(browser, app, tab1);
    expectTokens(await redeemCode(ts, app, { code: code1.searchParams.get('code')!, redirectUri: app.redirectUri, verifier: tab1.verifier }));

    // The second tab, opened before the sign-in, is still this browser's: it completes with the session.
    const code2 = await finish(browser, other, tab2);
    expectTokens(await redeemCode(ts, other, { code: code2.searchParams.get('code')!, redirectUri: other.redirectUri, verifier: tab2.verifier }));
  });

  it('the value from before the sign-in no longer opens the interaction', async () => {
    const browser = new Browser();
    const tab1 = await openTab(browser, app);
    const tab2 = await openTab(browser, other);
    const before = browser.cookies(ts.issuer).latch_browser!;
    await signIn(browser, tab1.page);
    const after = browser.cookies(ts.issuer).latch_browser!;

    const withOld = await fetch(tab2.page.url, { headers: { cookie: `latch_browser=${before}` }, redirect: 'manual' });
    expect(withOld.status).toBe(400);
    expect(await withOld.text()).toContain('opened in another browser');
    // The stale login form of the second tab (its CSRF token was derived from the old value) is refused.
    const staleForm = findLoginForm(tab2.page)!;
    const stale = await browser.submit(staleForm, { email: user.email, password: user.password }, { stopAt: 'urn:never' });
    expect(stale.kind === 'page' && stale.page.status).toBe(403);
    // The new value does open it.
    const withNew = await fetch(tab2.page.url, { headers: { cookie: `latch_browser=${after}` }, redirect: 'manual' });
    expect(withNew.status).toBe(200);
    expect(findLoginForm({ ...tab2.page, body: await withNew.text() })).toBeDefined();
  });

  it('a device confirmation started before the sign-in keeps working after it', async () => {
    const browser = new Browser();
    const device = await requestDeviceAuthorization(ts, tv);
    const entry = await browser.navigate(device.verification_uri_complete, { stopAt: 'urn:never' });
    if (entry.kind !== 'page') throw new Error('expected the code entry page');
    const form = findUserCodeForm(entry.page)!;
    const submitted = await browser.submit(form, { user_code: form.inputs.find((i) => i.name === 'user_code')!.value }, { stopAt: 'urn:never' });
    if (submitted.kind !== 'page' || !findLoginForm(submitted.page)) throw new Error('expected the device login page');
    const deviceUrl = submitted.page.url;

    // Signing in elsewhere in this browser (another tab) rotates the browser value.
    const tab = await openTab(browser, app);
    const before = browser.cookies(ts.issuer).latch_browser;
    await signIn(browser, tab.page);
    expect(browser.cookies(ts.issuer).latch_browser).not.toBe(before);

    // The device tab, reloaded, skips the login (the browser is signed in) and confirms.
    const confirm = await browser.navigate(deviceUrl, { stopAt: 'urn:never' });
    if (confirm.kind !== 'page') throw new Error('expected the confirmation page');
    expect(confirm.page.status, confirm.page.body.slice(0, 400)).toBe(200);
    const decision = findConsentForm(confirm.page);
    expect(decision, confirm.page.body.slice(0, 400)).toBeDefined();
    const done = await browser.submit(decision!, { decision: 'allow' }, { stopAt: 'urn:never' });
    expect(done.kind === 'page' && done.page.status).toBe(200);
    expect(done.kind === 'page' && done.page.body).toMatch(/return to your device|You can return/i);
  });
});
