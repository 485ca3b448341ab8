/**
 * Single sign-on across authorization requests in one browser, prompt handling, and
 * RP-initiated logout (OIDC RP-Initiated Logout 1.0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findConsentForm, findLoginForm, parseForms, responseParams, type Page } from '../helpers/browser.js';
import { authorizeUrl, obtainCode, obtainTokens, pkcePair, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let appA: TestClient;
let appB: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  appA = await ts.client({ kind: 'web' });
  appB = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

function requestFor(c: TestClient, extra: Record<string, string> = {}): URL {
  return authorizeUrl(ts, {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid email',
    state: random(),
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
}

/** Follows an authorization request in `browser` and says whether it ended on a login page. */
async function needsLogin(browser: Browser, c: TestClient): Promise<boolean> {
  const result = await browser.navigate(requestFor(c), { stopAt: c.redirectUri });
  if (result.kind === 'redirect') return false;
  return findLoginForm(result.page) !== undefined;
}

function describeTrail(trail: Page[]): string {
  return trail.map((p) => `${p.method} ${p.url.pathname} -> ${p.status} ${p.location?.href ?? ''}`).join('\n');
}

describe('single sign-on', () => {
  const browser = new Browser();

  it('asks for login and consent the first time', async () => {
    const first = await obtainCode(ts, browser, appA, user, { scope: 'openid email' });
    expect(first.sawLogin).toBe(true);
    expect(first.sawConsent).toBe(true);
  });

  it('a second authorization request in the same browser gets a code straight away', async () => {
    const url = requestFor(appA);
    const result = await browser.navigate(url, { stopAt: appA.redirectUri });
    expect(result.kind, describeTrail(result.trail)).toBe('redirect');
    expect(result.trail).toHaveLength(1);
    expect([302, 303]).toContain(result.trail[0]!.status);
    if (result.kind !== 'redirect') return;
    const params = responseParams(result.url);
    expect(params.get('code')).toBeTruthy();
    expect(params.get('state')).toBe(url.searchParams.get('state'));
    expect(params.get('iss')).toBe(ts.issuer);
  });

  it('a narrower scope already consented to needs no consent either', async () => {
    const second = await obtainCode(ts, browser, appA, user, { scope: 'openid' });
    expect(second.sawLogin).toBe(false);
    expect(second.sawConsent).toBe(false);
  });

  it('a wider scope asks for consent again but not for login', async () => {
    const third = await obtainCode(ts, browser, appA, user, { scope: 'openid email profile' });
    expect(third.sawLogin).toBe(false);
    expect(third.sawConsent).toBe(true);
  });

  it('another client in the same browser asks for consent but not for login', async () => {
    const result = await browser.navigate(requestFor(appB), { stopAt: appB.redirectUri });
    expect(result.kind).toBe('page');
    if (result.kind !== 'page') return;
    expect(findLoginForm(result.page)).toBeUndefined();
    expect(findConsentForm(result.page), result.page.body.slice(0, 500)).toBeDefined();
  });

  it('another browser has to log in', async () => {
    expect(await needsLogin(new Browser(), appA)).toBe(true);
  });

  it('prompt=none with a session returns a code', async () => {
    const url = requestFor(appA, { prompt: 'none' });
    const result = await browser.navigate(url, { stopAt: appA.redirectUri });
    expect(result.kind, describeTrail(result.trail)).toBe('redirect');
    if (result.kind === 'redirect') expect(responseParams(result.url).get('code')).toBeTruthy();
  });

  it('prompt=none without a session redirects with login_required, state and iss', async () => {
    const url = requestFor(appA, { prompt: 'none' });
    const result = await new Browser().navigate(url, { stopAt: appA.redirectUri });
    expect(result.kind, describeTrail(result.trail)).toBe('redirect');
    if (result.kind !== 'redirect') return;
    const params = responseParams(result.url);
    expect(params.get('error')).toBe('login_required');
    expect(params.get('state')).toBe(url.searchParams.get('state'));
    expect(params.get('iss')).toBe(ts.issuer);
    expect(params.get('code')).toBeNull();
  });

  it('prompt=login with a session shows the login page again', async () => {
    const result = await browser.navigate(requestFor(appA, { prompt: 'login' }), { stopAt: appA.redirectUri });
    expect(result.kind, describeTrail(result.trail)).toBe('page');
    if (result.kind === 'page') expect(findLoginForm(result.page)).toBeDefined();
  });
});

describe('RP-initiated logout', () => {
  it('with id_token_hint, a registered post_logout_redirect_uri and state: 303 back with state, session ended', async () => {
    const browser = new Browser();
    const { tokens } = await obtainTokens(ts, browser, appA, user, { scope: 'openid' });
    expect(await needsLogin(browser, appA)).toBe(false);

    const state = random();
    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('id_token_hint', tokens.id_token);
    url.searchParams.set('post_logout_redirect_uri', appA.postLogoutRedirectUri!);
    url.searchParams.set('state', state);
    const page = await browser.request(url);
    expect(page.status, page.body.slice(0, 500)).toBe(303);
    expect(page.location?.origin).toBe(new URL(appA.postLogoutRedirectUri!).origin);
    expect(page.location?.pathname).toBe(new URL(appA.postLogoutRedirectUri!).pathname);
    expect(page.location?.searchParams.get('state')).toBe(state);

    expect(await needsLogin(browser, appA)).toBe(true);
    expect(await needsLogin(browser, appB)).toBe(true);
  });

  it('without a hint shows a confirmation page with a form and does not redirect', async () => {
    const browser = new Browser();
    await obtainTokens(ts, browser, appA, user, { scope: 'openid' });
    const bare = await browser.request(`${ts.issuer}/logout`);
    const withClient = new URL(`${ts.issuer}/logout`);
    withClient.searchParams.set('client_id', appA.clientId);
    withClient.searchParams.set('post_logout_redirect_uri', appA.postLogoutRedirectUri!);
    withClient.searchParams.set('state', random());
    for (const page of [bare, await browser.request(withClient)]) {
      const context = `${page.url.search} -> ${page.status} ${page.body.slice(0, 300)}`;
      expect(page.status, context).toBe(200);
      expect(page.headers.get('location'), context).toBeNull();
      expect(page.headers.get('content-type'), context).toMatch(/^text\/html/);
      expect(parseForms(page.body, page.url).some((f) => f.method === 'POST'), context).toBe(true);
    }
    // Nothing happened yet: the session is still there.
    expect(await needsLogin(browser, appA)).toBe(false);
  });

  async function confirmLogout(choice: 'yes' | 'no', query: Record<string, string> = {}) {
    const browser = new Browser();
    await obtainTokens(ts, browser, appA, user, { scope: 'openid' });
    const url = new URL(`${ts.issuer}/logout`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const page = await browser.request(url);
    expect(page.status).toBe(200);
    const form = parseForms(page.body, page.url).find((f) => f.method === 'POST');
    expect(form, page.body.slice(0, 800)).toBeDefined();
    const signOut = /sign.?out|log.?out|^yes$/i;
    const button =
      choice === 'yes'
        ? form!.buttons.find((b) => signOut.test(b.label ?? '') || b.value === 'yes')
        : form!.buttons.find((b) => !(signOut.test(b.label ?? '') || b.value === 'yes'));
    expect(button, JSON.stringify(form!.buttons)).toBeDefined();
    const done = await browser.submit(form!, { [button!.name]: button!.value }, { stopAt: query.post_logout_redirect_uri ?? 'https://never.example.test/' });
    const last = done.kind === 'page' ? done.page : done.trail.at(-1);
    expect(last?.status).toBeLessThan(400);
    return { signedOut: await needsLogin(browser, appA), done, last: last! };
  }

  it('the confirmation form ends the session when the person confirms', async () => {
    expect((await confirmLogout('yes')).signedOut).toBe(true);
  });

  it('"Stay signed in" keeps the session and says so on a proper page, not the error page', async () => {
    const { signedOut, done } = await confirmLogout('no');
    expect(signedOut).toBe(false);
    if (done.kind !== 'page') throw new Error(`expected a page, got a redirect to ${done.url.href}`);
    expect(done.page.status).toBe(200);
    expect(done.page.body).toContain('You are still signed in');
    expect(done.page.body).not.toContain('Something went wrong');
    expect(done.page.body).not.toContain('Error code');
  });

  it('"Stay signed in" returns to a registered post_logout_redirect_uri with state, session kept (§3)', async () => {
    const state = random();
    const { signedOut, done } = await confirmLogout('no', { client_id: appA.clientId, post_logout_redirect_uri: appA.postLogoutRedirectUri!, state });
    expect(signedOut).toBe(false);
    if (done.kind !== 'redirect') throw new Error(`expected a redirect, got ${done.page.status} ${done.page.body.slice(0, 300)}`);
    expect(done.url.href.startsWith(appA.postLogoutRedirectUri!)).toBe(true);
    expect(done.url.searchParams.get('state')).toBe(state);
  });

  it('with nobody signed in, logout completes without asking', async () => {
    const browser = new Browser();
    const bare = await browser.request(`${ts.issuer}/logout`);
    expect(bare.status).toBe(200);
    expect(parseForms(bare.body, bare.url)).toEqual([]);
    expect(bare.body).toContain('You are signed out');

    const state = random();
    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('client_id', appA.clientId);
    url.searchParams.set('post_logout_redirect_uri', appA.postLogoutRedirectUri!);
    url.searchParams.set('state', state);
    const back = await browser.request(url);
    expect(back.status, back.body.slice(0, 300)).toBe(303);
    expect(back.location?.href.startsWith(appA.postLogoutRedirectUri!)).toBe(true);
    expect(back.location?.searchParams.get('state')).toBe(state);
  });

  it('never redirects to a post_logout_redirect_uri that is not registered', async () => {
    const browser = new Browser();
    const { tokens } = await obtainTokens(ts, browser, appA, user, { scope: 'openid' });
    for (const target of ['https://evil.example.test/logged-out', appB.postLogoutRedirectUri!, `${appA.postLogoutRedirectUri}/`]) {
      const url = new URL(`${ts.issuer}/logout`);
      url.searchParams.set('id_token_hint', tokens.id_token);
      url.searchParams.set('post_logout_redirect_uri', target);
      const page = await browser.request(url);
      expect(page.status, target).not.toBe(302);
      expect(page.status, target).not.toBe(303);
      expect(page.location?.href.startsWith(target) ?? false, target).toBe(false);
    }
  });

  it('with an id_token_hint that is not a token of this server: no redirect', async () => {
    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('id_token_hint', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    url.searchParams.set('post_logout_redirect_uri', appA.postLogoutRedirectUri!);
    const page = await new Browser().request(url);
    expect(page.location?.href.startsWith(appA.postLogoutRedirectUri!) ?? false).toBe(false);
  });
});
