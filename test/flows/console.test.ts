import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSetupLink, SETUP_TTL } from '../../src/admin/setup.js';
import { digest } from '../../src/core/tokens/hash.js';
import { consoleCsp, consoleDist } from '../../src/http/routes/console.js';
import { Browser, parseForms, type Page } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function expectConsoleHeaders(page: Page): void {
  expect(page.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The console's own routes: its page and assets with their headers, and the first-admin setup link. */
describe('console', () => {
  let ts: TestServer;

  beforeAll(async () => {
    execFileSync(process.execPath, [join('src', 'console', 'build.mjs')], { stdio: 'inherit' });
    ts = await startTestServer();
  });
  afterAll(() => ts?.close());

  describe('serving', () => {
    it('serves one page for /console and every app route, with the strict CSP and anti-framing headers', async () => {
      expect(consoleCsp).toBe(EXPECTED_CSP);
      const browser = new Browser();
      for (const path of ['/console', '/console/', '/console/apps/some-client', '/console/callback?code=x&state=y']) {
        const page = await browser.request(`${ts.url}${path}`);
        expect(page.status, path).toBe(200);
        expectConsoleHeaders(page);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(page.headers.get('cache-control')).toBe('no-store');
        // No inline script or style: only the built files, by URL.
        expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)/i);
        expect(page.body).not.toMatch(/<style|\sstyle=/i);
        expect(page.body).toMatch(/<script type="module" src="\/console\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
      }
    });

    it('serves the hashed assets with long caching, and nothing outside them', async () => {
      const assets = readdirSync(join(consoleDist, 'assets'));
      const script = assets.find((name) => name.endsWith('.js'))!;
      const style = assets.find((name) => name.endsWith('.css'))!;
      const browser = new Browser();
      const js = await browser.request(`${ts.url}/console/assets/${script}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expectConsoleHeaders(js);
      const css = await browser.request(`${ts.url}/console/assets/${style}`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
      for (const path of ['missing-AAAA.js', '..%2F..%2Fpackage.json', '..%2Findex.html', 'app.exe']) {
        const page = await browser.request(`${ts.url}/console/assets/${path}`);
        expect(page.status, path).toBe(404);
      }
    });
  });

  describe('first-admin setup link', () => {
    it('makes a link of the issuer whose token is stored only as a digest, for one hour', async () => {
      const now = nowSeconds();
      const link = new URL((await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey, now))!);
      expect(`${link.origin}${link.pathname}`).toBe(`${ts.issuer}/console/setup`);
      const token = link.searchParams.get('token')!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stored = await ts.latch.store.settings.getAdminSetup();
      expect(stored).toEqual({ tokenDigest: digest(token), expiresAt: now + 3600 });
      // Another instance, or a restart, within the hour prints the same link; after it, a new one, and the old
      // one stops working.
      expect(await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey, now + 60)).toBe(link.href);
      const next = await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey, now + SETUP_TTL);
      expect(next).not.toBe(link.href);
      expect((await new Browser().request(link)).status).toBe(410);
      // A link made under another secret is not taken for this one's: a new link replaces it.
      const other = await ensureSetupLink(ts.latch.store, ts.issuer, Buffer.alloc(32, 7), now + SETUP_TTL);
      expect(other).not.toBe(next);
      expect((await new Browser().request(next!)).status).toBe(410);
    });

    const setupForm = async (browser: Browser, link: string) => {
      const page = await browser.request(link);
      expect(page.status, page.body).toBe(200);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const form = parseForms(page.body, page.url).find((f) => f.inputs.some((i) => i.name === 'token'));
      expect(form).toBeDefined();
      return { page, form: form! };
    };
    const post = (browser: Browser, form: ReturnType<typeof parseForms>[number], fields: Record<string, string>) => {
      const body = new URLSearchParams();
      for (const input of form.inputs) if (input.type === 'hidden') body.set(input.name, input.value);
      for (const [k, v] of Object.entries(fields)) body.set(k, v);
      return browser.request(form.action, { method: 'POST', body });
    };

    it('refuses a wrong token with 410 and changes nothing', async () => {
      await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey);
      const browser = new Browser();
      const wrong = `${ts.issuer}/console/setup?token=${'A'.repeat(43)}`;
      const page = await browser.request(wrong);
      expect(page.status).toBe(410);
      expect(page.body).toContain('This setup link cannot be used');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      for (const token of ['', 'short', '<script>']) {
        const odd = await browser.request(`${ts.issuer}/console/setup?token=${encodeURIComponent(token)}`);
        expect(odd.status).toBe(410);
        expect(odd.body).not.toContain('<script>');
      }
      expect(await ts.latch.store.users.countWithRole('admin')).toBe(0);
    });

    it('refuses an expired link with 410, on the page and on the form', async () => {
      await ts.latch.store.settings.putAdminSetup({ tokenDigest: 'spent', expiresAt: 0 });
      const link = await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey, nowSeconds() - SETUP_TTL - 1);
      const browser = new Browser();
      expect((await browser.request(link!)).status).toBe(410);
      // A form fetched while valid, posted after the hour, is refused the same way.
      const fresh = await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey);
      const { form } = await setupForm(browser, fresh!);
      const stored = (await ts.latch.store.settings.getAdminSetup())!;
      await ts.latch.store.settings.putAdminSetup({ ...stored, expiresAt: nowSeconds() - 1 });
      const token = new URL(fresh!).searchParams.get('token')!;
      const answer = await post(browser, form, { token, email: 'late@example.test', name: 'Late', password: 'a long password' });
      expect(answer.status).toBe(410);
      expect(await ts.latch.store.users.findByEmail('late@example.test')).toBeUndefined();
    });

    it('keeps the link usable after a wrong field or a missing CSRF token', async () => {
      const link = (await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey))!;
      const browser = new Browser();
      const { form } = await setupForm(browser, link);
      const short = await post(browser, form, { email: 'admin@example.test', name: 'Admin', password: 'short' });
      expect(short.status).toBe(400);
      expect(short.body).toContain('Password: must be at least 8 characters');
      expect(short.body).toContain('value="admin@example.test"');
      const noCsrf = await browser.request(form.action, {
        method: 'POST',
        body: new URLSearchParams({ token: new URL(link).searchParams.get('token')!, email: 'admin@example.test', name: 'Admin', password: 'a long password' }),
      });
      expect(noCsrf.status).toBe(400);
      expect(await ts.latch.store.users.findByEmail('admin@example.test')).toBeUndefined();
      expect((await browser.request(link)).status).toBe(200);
    });

    it('creates exactly one admin when five browsers post the same link at once, then refuses the link', async () => {
      const link = (await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey))!;
      const browsers = Array.from({ length: 5 }, () => new Browser());
      const forms = await Promise.all(browsers.map(async (b) => (await setupForm(b, link)).form));
      const answers = await Promise.all(
        browsers.map((b, i) => post(b, forms[i]!, { email: `racer-${i}@example.test`, name: `Racer ${i}`, password: 'a long password' })),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([303, 410, 410, 410, 410]);
      const winner = answers.findIndex((a) => a.status === 303);
      expect(answers[winner]!.location?.pathname).toBe('/console/');
      expect(await ts.latch.store.users.countWithRole('admin')).toBe(1);
      const admin = await ts.latch.store.users.findByEmail(`racer-${winner}@example.test`);
      expect(admin?.roles).toEqual(['admin']);
      for (let i = 0; i < 5; i++) if (i !== winner) expect(await ts.latch.store.users.findByEmail(`racer-${i}@example.test`)).toBeUndefined();
      const events = await ts.latch.store.events.page({ type: 'admin.setup_completed' }, { limit: 10 });
      expect(events.items.map((e) => e.sub)).toEqual([admin!.sub]);
      expect(JSON.stringify(events.items)).not.toContain('a long password');

      // Used: the same link is refused; with an admin, no new link is made and any token gets "already has one".
      const again = await browsers[0]!.request(link);
      expect(again.status).toBe(400);
      expect(again.body).toContain('Latch already has an administrator');
      expect(await ensureSetupLink(ts.latch.store, ts.issuer, ts.latch.setupKey)).toBeUndefined();
    });
  });
});
