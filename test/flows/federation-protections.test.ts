/**
 * The protections of sign-in with another provider, one by one, through real HTTP (the tiny test browser) against a
 * real upstream Latch on 127.0.0.1; the Latch under test on localhost. Each test fails without the check it names.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, hiddenFields, parseForms, type Page } from '../helpers/browser.js';
import { codeFlowUrl } from '../helpers/oauth.js';
import { freePort, PASSWORD, type TestClient, type TestServer } from '../helpers/server.js';
import { addConnection, startLatchOnLocalhost } from './federation-upstreams.js';
import { startTestServer } from '../helpers/server.js';

let latch: TestServer;
let secret: Uint8Array;
let upstream: TestServer;
let app: TestClient;
let forger: Server;
let deadPort: number;
const upstreamUser = { email: 'grace@up.test', password: PASSWORD };

beforeAll(async () => {
  ({ latch, secret } = await startLatchOnLocalhost());
  upstream = await startTestServer();
  await upstream.user({ email: upstreamUser.email, name: 'Grace Hopper' });
  const ids = ['up', 'other', 'off', 'plain', 'dead-token', 'forged'];
  const upClient = await upstream.client({ kind: 'web', name: 'Latch downstream', redirectUris: ids.map((id) => `${latch.issuer}/federation/${id}/callback`) });
  const common = { client_id: upClient.clientId, client_secret: upClient.clientSecret! };
  deadPort = await freePort();
  // A token endpoint that answers with an ID token signed by a key the upstream never published.
  const { privateKey } = await generateKeyPair('ES256');
  const forgedPort = await freePort();
  forger = createServer((_req, res) => {
    void (async () => {
      const idToken = await new SignJWT({ sub: 'mallory', email: 'grace@up.test', email_verified: true })
        .setProtectedHeader({ alg: 'ES256', kid: 'forged' })
        .setIssuer(upstream.issuer)
        .setAudience(upClient.clientId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'x', token_type: 'Bearer', id_token: idToken, expires_in: 300 }));
    })();
  });
  await new Promise<void>((resolve) => forger.listen(forgedPort, '127.0.0.1', resolve));

  await addConnection(latch, secret, { id: 'up', name: 'Upstream', issuer: upstream.issuer, ...common });
  await addConnection(latch, secret, { id: 'other', name: 'Other', issuer: upstream.issuer, ...common });
  await addConnection(latch, secret, { id: 'off', name: 'Switched off', issuer: upstream.issuer, ...common, enabled: false });
  await addConnection(latch, secret, {
    id: 'plain',
    name: 'Plain OAuth',
    type: 'oauth2',
    authorization_endpoint: `${upstream.issuer}/authorize`,
    token_endpoint: `${upstream.issuer}/token`,
    userinfo_endpoint: `${upstream.issuer}/userinfo`,
    scopes: ['openid', 'email', 'profile'],
    claim_mapping: { sub: 'sub', name: 'name' },
    ...common,
  });
  await addConnection(latch, secret, {
    id: 'dead-token',
    name: 'Dead token endpoint',
    type: 'oauth2',
    authorization_endpoint: `${upstream.issuer}/authorize`,
    token_endpoint: `http://127.0.0.1:${deadPort}/token`,
    userinfo_endpoint: `${upstream.issuer}/userinfo`,
    scopes: ['openid'],
    ...common,
  });
  await addConnection(latch, secret, { id: 'forged', name: 'Forged', issuer: upstream.issuer, token_endpoint: `http://127.0.0.1:${forgedPort}/token`, ...common });
  app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`] });
});

afterAll(async () => {
  await new Promise<void>((resolve) => (forger ? forger.close(() => resolve()) : resolve()));
  await upstream?.close();
  await latch?.close();
});

async function loginPage(browser: Browser): Promise<Page> {
  const result = await browser.navigate(codeFlowUrl(latch, app), { stopAt: app.redirectUri });
  if (result.kind !== 'page') throw new Error('expected the login page');
  return result.page;
}

function upstreamForm(page: Page, id: string) {
  return parseForms(page.body, page.url).find((f) => f.action.pathname.endsWith(`/federation/${id}`));
}

/** Presses "Continue with <id>" and returns Latch's answer (the 303 upstream, or a page). */
async function pressContinue(browser: Browser, page: Page, id: string, body?: URLSearchParams): Promise<Page> {
  const form = upstreamForm(page, id) ?? upstreamForm(page, 'up')!;
  const action = new URL(form.action);
  action.pathname = action.pathname.replace(/[^/]+$/, id);
  return browser.request(action, { method: 'POST', body: body ?? hiddenFields(form) });
}

/** Signs in at the upstream and returns the callback URL it sends the browser to (not yet opened). */
async function throughUpstream(browser: Browser, upstreamUrl: URL): Promise<URL> {
  const result = await browser.authorize(upstreamUrl, { stopAt: `${latch.issuer}/federation/`, credentials: upstreamUser, decision: 'allow' });
  return result.callback;
}

async function toCallback(browser: Browser, id: string): Promise<URL> {
  const started = await pressContinue(browser, await loginPage(browser), id);
  expect(started.status, started.body).toBe(303);
  return throughUpstream(browser, started.location!);
}

describe('federation protections', () => {
  it('the Continue form is CSRF-checked: without the token, 403 and nobody goes upstream', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const answer = await pressContinue(browser, page, 'up', new URLSearchParams());
    expect(answer.status).toBe(403);
    expect(answer.location).toBeUndefined();
  });

  it('a disabled connection has no button and cannot be started', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    expect(upstreamForm(page, 'up')).toBeDefined();
    expect(upstreamForm(page, 'off')).toBeUndefined();
    expect(page.body).not.toContain('Switched off');
    const answer = await pressContinue(browser, page, 'off');
    expect(answer.status).toBe(404);
    expect(answer.location).toBeUndefined();
  });

  it('the callback only works in the browser that started it', async () => {
    const victim = new Browser();
    const callback = await toCallback(victim, 'up');
    const attacker = new Browser();
    await loginPage(attacker);
    const stolen = await attacker.request(callback);
    expect(stolen.status).toBe(400);
    expect(stolen.location).toBeUndefined();
    // The state's own binding answers (the interaction's binding would answer with a different page).
    expect(stolen.body).toContain('This sign-in answer is not valid here');
    expect(attacker.cookies(latch.issuer).latch_session).toBeUndefined();
  });

  it('a state started for one connection is refused at the callback of another', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, 'up');
    const elsewhere = new URL(callback.href.replace('/federation/up/', '/federation/other/'));
    expect((await browser.request(elsewhere)).status).toBe(400);
  });

  it('a plain OAuth 2.0 connection reads the person from userinfo through the claim mapping, just in time', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, 'plain');
    const done = await browser.navigate(callback, { stopAt: app.redirectUri });
    if (done.kind === 'page') {
      const consent = parseForms(done.page.body, done.page.url).find((f) => f.buttons.some((b) => b.name === "decision"));
      if (!consent) throw new Error(`${done.page.status} ${done.page.body}`);
      const body = hiddenFields(consent);
      body.set('decision', 'allow');
      const allowed = await browser.navigate(consent.action, { stopAt: app.redirectUri, init: { method: 'POST', body } });
      expect(allowed.kind).toBe('redirect');
      if (allowed.kind === 'redirect') expect(allowed.url.searchParams.get('code')).toBeTruthy();
    }
    const user = (await latch.latch.store.users.findByEmail(upstreamUser.email))!;
    expect(user.profile.name).toBe('Grace Hopper');
    const upstreamSub = (await upstream.latch.store.users.findByEmail(upstreamUser.email))!.sub;
    expect(await latch.latch.store.identities.find('plain', upstreamSub)).toMatchObject({ sub: user.sub });
  });

  it('an unreachable token endpoint ends at the client with temporarily_unavailable', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, 'dead-token');
    const done = await browser.navigate(callback, { stopAt: app.redirectUri });
    expect(done.kind).toBe('redirect');
    if (done.kind === 'redirect') expect(done.url.searchParams.get('error')).toBe('temporarily_unavailable');
  });

  it('an ID token the upstream did not sign is refused: the login page says so (502), nobody is signed in', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, 'forged');
    const answer = await browser.request(callback);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('its answer could not be verified');
    expect(await latch.latch.store.identities.find('forged', 'mallory')).toBeUndefined();
    expect(browser.cookies(latch.issuer).latch_session).toBeUndefined();
  });

  it('an unreachable provider at the start: the login page says so (503)', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    await latch.latch.store.connections.update('other', { issuer: `http://127.0.0.1:${deadPort}`, updatedAt: 1 });
    try {
      const answer = await pressContinue(browser, page, 'other');
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('Other cannot be reached right now');
    } finally {
      await latch.latch.store.connections.update('other', { issuer: upstream.issuer, updatedAt: 1 });
    }
  });

  it('an authorization endpoint on another origin than the issuer is reached through a page, not a 303 the CSP would block', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const discovery = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ issuer, authorization_endpoint: `${upstream.issuer}/authorize`, token_endpoint: `${upstream.issuer}/token`, jwks_uri: `${upstream.issuer}/jwks`, response_types_supported: ['code'] }),
      );
    });
    await new Promise<void>((resolve) => discovery.listen(port, '127.0.0.1', resolve));
    try {
      await addConnection(latch, secret, { id: 'split', name: 'Split origins', issuer, client_id: 'c' });
      const browser = new Browser();
      const page = await loginPage(browser);
      expect(page.headers.get('content-security-policy')).toContain(issuer);
      const answer = await pressContinue(browser, page, 'split');
      expect(answer.status).toBe(200);
      const refresh = answer.headers.get('refresh')!;
      expect(refresh).toMatch(new RegExp(`^0; url=${upstream.issuer}/authorize\\?`));
      expect(answer.body).toContain(`href="${upstream.issuer}/authorize?`);
      // The page itself carries no form, and the usual 303 is kept where the origins agree.
      expect((await pressContinue(browser, await loginPage(browser), 'up')).status).toBe(303);
    } finally {
      await latch.latch.store.connections.delete('split');
      await new Promise<void>((resolve) => discovery.close(() => resolve()));
    }
  });

  it('a callback without a state, or with garbage, is a 400 page', async () => {
    const browser = new Browser();
    await loginPage(browser);
    for (const query of ['', '?code=abc', '?state=abc&code=abc', `?state=${'A'.repeat(80)}&code=abc`, '?state=a&state=b']) {
      const answer = await browser.request(`${latch.issuer}/federation/up/callback${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.location).toBeUndefined();
    }
  });
});
