import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { codeFlowUrl } from '../helpers/oauth.js';
import { PASSWORD, startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

/**
 * OpenID Connect Front-Channel Logout 1.0 in Chromium: after RP-initiated logout the logged-out page renders an
 * iframe per client of the ended session with a frontchannel_logout_uri (iss and sid when the client asked for
 * them), its CSP frames exactly those origins and runs no inline script, and the browser then continues to the
 * post_logout_redirect_uri. A client of another session is not framed.
 */

/** One relying party's origin: records each request (path and query) and answers a small page that may be framed. */
async function rpOrigin(seen: URL[]): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!doctype html><title>rp</title><p>${url.pathname}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(!chromiumAvailable)('front-channel logout in Chromium', () => {
  let latch: TestServer;
  let browser: Browser;
  const seen: URL[] = [];
  const servers: Server[] = [];
  const origins: string[] = [];
  let strict: TestClient;
  let plain: TestClient;
  let other: TestClient;
  const shots = screenshotDir('frontchannel-logout');
  const cspViolations: string[] = [];

  async function client(name: string, origin: string, metadata: Record<string, unknown>): Promise<TestClient> {
    const c = await latch.client({ kind: 'web', name, redirectUris: [`${origin}/callback`], postLogoutRedirectUris: [`${origin}/logged-out`] });
    const record = (await latch.latch.store.clients.find(c.clientId))!;
    await latch.latch.store.clients.update(c.clientId, { metadata: { ...record.metadata, frontchannel_logout_uri: `${origin}/fc-logout?app=${name}`, ...metadata } });
    return c;
  }

  beforeAll(async () => {
    latch = await startTestServer();
    await latch.user({ email: 'ada@example.com', name: 'Ada Lovelace' });
    await latch.user({ email: 'bob@example.com', name: 'Bob' });
    for (let i = 0; i < 3; i++) {
      const { server, origin } = await rpOrigin(seen);
      servers.push(server);
      origins.push(origin);
    }
    strict = await client('strict', origins[0]!, { frontchannel_logout_session_required: true });
    plain = await client('plain', origins[1]!, {});
    other = await client('other', origins[2]!, { frontchannel_logout_session_required: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
    for (const server of servers) server.close();
  });

  async function signIn(page: Page, app: TestClient, email: string, first: boolean): Promise<void> {
    await page.goto(codeFlowUrl(latch, app).href);
    if (first) {
      await page.locator('input[name="email"]').fill(email);
      await page.locator('input[name="password"]').fill(PASSWORD);
      await page.locator('form button[type="submit"]').first().click();
    }
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL((u) => u.pathname === '/callback');
  }

  it('frames every client of the session, then continues to the post_logout_redirect_uri', async () => {
    // Bob's session, with the third client: not the one that ends.
    const bobs = await pageWithCspWatch(browser, cspViolations);
    await signIn(bobs, other, 'bob@example.com', true);

    const page = await pageWithCspWatch(browser, cspViolations);
    await signIn(page, strict, 'ada@example.com', true);
    await signIn(page, plain, 'ada@example.com', false);
    const ada = (await latch.latch.store.users.findByEmail('ada@example.com'))!;
    const [session] = await latch.latch.store.sessions.listBySub(ada.sub, Math.floor(Date.now() / 1000));

    const logout = new URL(`${latch.issuer}/logout`);
    logout.searchParams.set('client_id', strict.clientId);
    logout.searchParams.set('post_logout_redirect_uri', strict.postLogoutRedirectUri!);
    logout.searchParams.set('state', 'after-logout');
    await page.goto(logout.href);
    const loggedOut = page.waitForResponse((r) => new URL(r.url()).pathname === '/logout/confirm');
    await page.getByRole('button', { name: 'Sign out' }).click();
    const answer = await loggedOut;
    await page.waitForURL((u) => u.pathname === '/logged-out');
    expect(new URL(page.url()).searchParams.get('state')).toBe('after-logout');

    const csp = (await answer.headerValue('content-security-policy')) ?? '';
    const frameSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-src'));
    expect(frameSrc?.split(' ').slice(1).sort()).toEqual([origins[0], origins[1]].sort());
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // The one script is a file of Latch's (it follows the link once the frames have loaded), never an inline one.
    expect(csp).toMatch(new RegExp(`script-src ${latch.issuer.replace(/[.]/g, '\\.')}/assets/frontchannel-logout\\.js(;|$)`));

    const framed = seen.filter((u) => u.pathname === '/fc-logout');
    const strictHit = framed.find((u) => u.searchParams.get('app') === 'strict');
    expect(strictHit?.searchParams.get('iss')).toBe(latch.issuer);
    expect(strictHit?.searchParams.get('sid')).toBe(session!.sid);
    const plainHit = framed.find((u) => u.searchParams.get('app') === 'plain');
    expect(plainHit).toBeDefined();
    expect(plainHit!.searchParams.has('sid')).toBe(false);
    expect(plainHit!.searchParams.has('iss')).toBe(false);
    expect(framed.some((u) => u.searchParams.get('app') === 'other')).toBe(false);
    expect(cspViolations).toEqual([]);
  });

  it('without a post_logout_redirect_uri the logged-out page stays, with its iframes', async () => {
    const solo = await client('solo', origins[1]!, {});
    const page = await pageWithCspWatch(browser, cspViolations);
    await signIn(page, solo, 'ada@example.com', true);
    const before = seen.length;
    await page.goto(`${latch.issuer}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await expect.poll(() => seen.slice(before).filter((u) => u.pathname === '/fc-logout').length).toBe(1);
    expect(await page.locator('iframe.frontchannel-logout').count()).toBe(1);
    expect(await page.locator('script').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'logged-out-with-frontchannel.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
