/**
 * Everything /authorize and the login/consent interaction must refuse: error pages when the
 * client or redirect URI cannot be trusted (RFC 6749 §4.1.2.1), error redirects otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findConsentForm, findLoginForm, hiddenFields, postLogin, responseParams, type Page } from '../helpers/browser.js';
import { authorizeUrl, obtainCode, pkcePair, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;
let spa: TestClient;
let host: string;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  host = `app-${random(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}.example.test`;
  web = await ts.client({ kind: 'web', redirectUris: [`https://${host}/callback`] });
  spa = await ts.client({ kind: 'spa' });
});

afterAll(async () => {
  await ts?.close();
});

function baseParams(c: TestClient, extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid',
    state: random(),
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

function withParams(params: Record<string, string>, remove: string[] = []): URL {
  const copy = { ...params };
  for (const key of remove) delete copy[key];
  return authorizeUrl(ts, copy);
}

function expectErrorPage(page: Page, context: string): void {
  expect(page.status, `${context}: ${page.body.slice(0, 300)}`).toBe(400);
  expect(page.headers.get('location'), context).toBeNull();
  expect(page.headers.get('content-type') ?? '', context).toMatch(/^text\/html/);
}

async function expectErrorRedirect(url: URL, c: TestClient, error: string, options: { checkState?: boolean } = {}) {
  const page = await new Browser().request(url);
  const context = `${url.search} -> ${page.status} ${page.location?.href ?? page.body.slice(0, 300)}`;
  expect([302, 303], context).toContain(page.status);
  expect(page.location, context).toBeDefined();
  const location = page.location!;
  expect(location.origin + location.pathname, context).toBe(c.redirectUri);
  const params = responseParams(location);
  expect(params.get('error'), context).toBe(error);
  expect(params.get('code'), context).toBeNull();
  expect(params.get('iss'), context).toBe(ts.issuer);
  if (options.checkState !== false) expect(params.get('state'), context).toBe(url.searchParams.get('state'));
  return params;
}

describe('errors shown as a page, never redirected', () => {
  it('unknown client_id', async () => {
    const page = await new Browser().request(withParams(baseParams(web, { client_id: 'no-such-client' })));
    expectErrorPage(page, 'unknown client');
  });

  it('missing client_id', async () => {
    const page = await new Browser().request(withParams(baseParams(web), ['client_id']));
    expectErrorPage(page, 'missing client');
  });

  it('unregistered redirect_uri', async () => {
    const page = await new Browser().request(withParams(baseParams(web, { redirect_uri: 'https://evil.example.test/callback' })));
    expectErrorPage(page, 'unregistered redirect_uri');
  });

  it('near misses of the registered redirect_uri (exact match only)', async () => {
    const nearMisses = [
      `https://${host}/callback/`,
      `https://${host}/Callback`,
      `https://${host}/callback?extra=1`,
      `http://${host}/callback`,
      `https://${host}:8443/callback`,
      `https://${host}/callback#fragment`,
      `https://${host}.evil.test/callback`,
      `https://${host}/callbackx`,
      `https://${host}/call`,
      `https://user@${host}/callback`,
    ];
    for (const redirectUri of nearMisses) {
      const page = await new Browser().request(withParams(baseParams(web, { redirect_uri: redirectUri })));
      expectErrorPage(page, redirectUri);
    }
  });

  it("another client's redirect_uri", async () => {
    const page = await new Browser().request(withParams(baseParams(web, { redirect_uri: spa.redirectUri })));
    expectErrorPage(page, 'redirect_uri of another client');
  });

  it('duplicate client_id or redirect_uri', async () => {
    const dupClient = withParams(baseParams(web));
    dupClient.searchParams.append('client_id', spa.clientId);
    expectErrorPage(await new Browser().request(dupClient), 'duplicate client_id');

    const dupRedirect = withParams(baseParams(web));
    dupRedirect.searchParams.append('redirect_uri', web.redirectUri);
    expectErrorPage(await new Browser().request(dupRedirect), 'duplicate redirect_uri');
  });

  it('loopback near misses for a native client (only the port may vary, RFC 8252 §7.3)', async () => {
    const native = await ts.client({ kind: 'native', redirectUris: ['http://127.0.0.1/callback'] });
    for (const redirectUri of [
      'http://127.0.0.1:53682/other',
      'http://localhost:53682/callback',
      'https://127.0.0.1:53682/callback',
      'http://127.0.0.1:53682/callback/',
      'http://127.0.0.2:53682/callback',
    ]) {
      const page = await new Browser().request(withParams(baseParams(native, { redirect_uri: redirectUri })));
      expectErrorPage(page, redirectUri);
    }
  });

  it('no port freedom on loopback for a browser-based (spa) client', async () => {
    const loopbackSpa = await ts.client({ kind: 'spa', redirectUris: ['http://127.0.0.1:8080/callback'] });
    const page = await new Browser().request(withParams(baseParams(loopbackSpa, { redirect_uri: 'http://127.0.0.1:8081/callback' })));
    expectErrorPage(page, 'spa loopback port change');
  });

  it('bad client_id through POST /authorize too', async () => {
    const body = new URLSearchParams(baseParams(web, { client_id: 'no-such-client' }));
    const page = await new Browser().request(`${ts.issuer}/authorize`, { method: 'POST', body });
    expectErrorPage(page, 'POST unknown client');
  });
});

describe('errors redirected to the client with error, state and iss', () => {
  it('unsupported response_type', async () => {
    await expectErrorRedirect(withParams(baseParams(web, { response_type: 'bogus' })), web, 'unsupported_response_type');
  });

  it('response_type=token (implicit) is not issued', async () => {
    const url = withParams(baseParams(web, { response_type: 'token' }));
    const page = await new Browser().request(url);
    expect([302, 303]).toContain(page.status);
    const params = responseParams(page.location!);
    expect(['unsupported_response_type', 'unauthorized_client']).toContain(params.get('error'));
    expect(params.get('access_token')).toBeNull();
    expect(params.get('iss')).toBe(ts.issuer);
  });

  it('missing response_type', async () => {
    await expectErrorRedirect(withParams(baseParams(web), ['response_type']), web, 'invalid_request');
  });

  it('plain PKCE method', async () => {
    const { verifier } = pkcePair();
    await expectErrorRedirect(
      withParams(baseParams(spa, { code_challenge: verifier, code_challenge_method: 'plain' })),
      spa,
      'invalid_request',
    );
  });

  it('PKCE challenge without a method (defaults to plain, RFC 7636 §4.3)', async () => {
    await expectErrorRedirect(withParams(baseParams(spa), ['code_challenge_method']), spa, 'invalid_request');
  });

  it('unknown PKCE method', async () => {
    await expectErrorRedirect(withParams(baseParams(spa, { code_challenge_method: 'S512' })), spa, 'invalid_request');
  });

  it('malformed code_challenge (too short)', async () => {
    await expectErrorRedirect(withParams(baseParams(spa, { code_challenge: 'abc' })), spa, 'invalid_request');
  });

  it('missing PKCE for a public client', async () => {
    await expectErrorRedirect(withParams(baseParams(spa), ['code_challenge', 'code_challenge_method']), spa, 'invalid_request');
  });

  it('unknown scope', async () => {
    await expectErrorRedirect(withParams(baseParams(web, { scope: 'openid not_a_scope' })), web, 'invalid_scope');
  });

  it('duplicate parameters', async () => {
    const dupScope = withParams(baseParams(web));
    dupScope.searchParams.append('scope', 'openid email');
    await expectErrorRedirect(dupScope, web, 'invalid_request');

    const dupResponseType = withParams(baseParams(web));
    dupResponseType.searchParams.append('response_type', 'code');
    await expectErrorRedirect(dupResponseType, web, 'invalid_request');
  });

  it('duplicate state: an error, and no code', async () => {
    const dupState = withParams(baseParams(web));
    dupState.searchParams.append('state', 'second');
    const page = await new Browser().request(dupState);
    expect([302, 303, 400], `${page.status} ${page.location?.href}`).toContain(page.status);
    if (page.status !== 400) {
      const params = responseParams(page.location!);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('code')).toBeNull();
      expect(params.get('iss')).toBe(ts.issuer);
    }
  });

  it('access denied on the consent page', async () => {
    const browser = new Browser();
    const params = baseParams(web);
    const result = await browser.authorize(withParams(params), {
      stopAt: web.redirectUri,
      credentials: { email: user.email, password: user.password },
      decision: 'deny',
    });
    expect(result.sawConsent).toBe(true);
    expect(result.callback.origin + result.callback.pathname).toBe(web.redirectUri);
    expect(result.params.get('error')).toBe('access_denied');
    expect(result.params.get('state')).toBe(params.state);
    expect(result.params.get('iss')).toBe(ts.issuer);
    expect(result.params.get('code')).toBeNull();
  });
});

describe('login page', () => {
  async function loginPage(browser: Browser): Promise<Page> {
    const result = await browser.navigate(withParams(baseParams(web)), { stopAt: web.redirectUri });
    expect(result.kind).toBe('page');
    if (result.kind !== 'page') throw new Error('expected a page');
    expect(findLoginForm(result.page)).toBeDefined();
    return result.page;
  }


  /** The page with attribute values (csrf, echoed email) blanked out. */
  function normalise(page: Page): string {
    return page.body.replace(/value\s*=\s*("[^"]*"|'[^']*')/gi, 'value=""');
  }

  it('redirects /authorize to /interaction/<id> with 303', async () => {
    const page = await new Browser().request(withParams(baseParams(web)));
    expect(page.status).toBe(303);
    expect(page.location?.origin).toBe(ts.issuer);
    expect(page.location?.pathname).toMatch(/^\/interaction\/[^/]+$/);
  });

  it('shows the login form again with an error for a wrong password, the same for an unknown user', async () => {
    const browser = new Browser();
    const first = await loginPage(browser);
    const wrongPassword = await postLogin(browser, first, user.email, 'not the password');
    expect([200, 400, 401], wrongPassword.body.slice(0, 300)).toContain(wrongPassword.status);
    expect(wrongPassword.headers.get('location')).toBeNull();
    expect(findLoginForm(wrongPassword)).toBeDefined();
    expect(wrongPassword.body).toMatch(/invalid|incorrect|wrong|not recogni[sz]ed|did not match|doesn.t match/i);

    const unknownUser = await postLogin(browser, wrongPassword, `nobody-${random(4)}@example.test`, 'not the password');
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(findLoginForm(unknownUser)).toBeDefined();
    expect(normalise(unknownUser)).toBe(normalise(wrongPassword));

    // The interaction is still usable: the right password moves on to consent.
    const form = findLoginForm(unknownUser)!;
    const result = await browser.submit(form, { email: user.email, password: user.password }, { stopAt: web.redirectUri });
    expect(result.kind).toBe('page');
    if (result.kind === 'page') expect(findConsentForm(result.page), result.page.body.slice(0, 300)).toBeDefined();
  });

  it('refuses a login POST without the csrf token', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const form = findLoginForm(page)!;
    const body = new URLSearchParams({ email: user.email, password: user.password });
    const res = await browser.request(form.action, { method: 'POST', body });
    expect(res.status, `${res.status} ${res.location?.href}`).toBe(403);
    // No session was created.
    const again = await browser.navigate(withParams(baseParams(web)), { stopAt: web.redirectUri });
    expect(again.kind === 'page' && findLoginForm(again.page) !== undefined).toBe(true);
  });

  it('refuses a login POST with a tampered csrf token', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const form = findLoginForm(page)!;
    const body = hiddenFields(form);
    body.set('csrf', random(24));
    body.set('email', user.email);
    body.set('password', user.password);
    const res = await browser.request(form.action, { method: 'POST', body });
    expect(res.status, `${res.status} ${res.location?.href}`).toBe(403);
  });

  it("refuses another browser's login form (login CSRF)", async () => {
    const attacker = new Browser();
    const page = await loginPage(attacker);
    const form = findLoginForm(page)!;
    const body = hiddenFields(form);
    body.set('email', user.email);
    body.set('password', user.password);
    const victim = new Browser();
    const res = await victim.request(form.action, { method: 'POST', body });
    expect([400, 403], `${res.status} ${res.location?.href}`).toContain(res.status);
    const again = await victim.navigate(withParams(baseParams(web)), { stopAt: web.redirectUri });
    expect(again.kind === 'page' && findLoginForm(again.page) !== undefined).toBe(true);
  });

  it('refuses a consent POST without the csrf token', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const afterLogin = await browser.submit(findLoginForm(page)!, { email: user.email, password: user.password }, { stopAt: web.redirectUri });
    expect(afterLogin.kind).toBe('page');
    if (afterLogin.kind !== 'page') return;
    const consent = findConsentForm(afterLogin.page)!;
    expect(consent).toBeDefined();
    const res = await browser.request(consent.action, { method: 'POST', body: new URLSearchParams({ decision: 'allow' }) });
    expect(res.status, `${res.status} ${res.location?.href}`).toBe(403);
    expect(res.location?.href.startsWith(web.redirectUri) ?? false).toBe(false);
  });

  it('an unknown interaction id is a 4xx page, not a redirect', async () => {
    const res = await new Browser().request(`${ts.issuer}/interaction/does-not-exist`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('location')).toBeNull();
  });

  it('the happy path still works in this file (sanity)', async () => {
    const code = await obtainCode(ts, new Browser(), web, user, { scope: 'openid' });
    expect(code.code).toBeTruthy();
  });
});
