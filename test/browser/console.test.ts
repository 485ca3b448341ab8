import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLatch, type RunResult } from '../../src/cli/test-helpers.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { appRequest, completeAppSignIn, signInToConsole, UNLABELLED } from '../helpers/console.js';
import { freePort } from '../helpers/server.js';

/**
 * The console in Chromium, against a Latch started by `latch start` (so the setup link is the printed one): the
 * first admin, applications, people, APIs, keys, events and branding, every page screenshotted; and a person
 * without the admin role, who sees "You are not an administrator".
 */
const shots = join(process.cwd(), 'test-output', 'screenshots');
const APP = 'https://console-test-app.example.test';
const ADMIN = { email: 'operator@example.test', name: 'Olive Operator', password: 'operator password 1' };
const BOB = { email: 'bob@example.test', name: 'Bob Builder', password: 'bob password 123' };
const CAROL = { email: 'carol@example.test', name: 'Carol Customer', password: 'carol password 1' };

describe.skipIf(!chromiumAvailable)('console in Chromium', () => {
  let browser: Browser;
  let issuer: string;
  let dataDir: string;
  let setupLink: string;
  let startOutput = '';
  const stop = new AbortController();
  let running: Promise<RunResult>;
  const cspViolations: string[] = [];

  const watch = (page: Page) => {
    page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && cspViolations.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => cspViolations.push(`${page.url()}: page error ${e.message}`));
    return page;
  };
  const newContext = async (options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
    context.setDefaultTimeout(10_000);
    // The app's redirect URIs: the test stands in for the app.
    await context.route(`${APP}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'app callback' }));
    return context;
  };
  const shot = async (page: Page, name: string) => {
    expect(await page.evaluate(UNLABELLED), `unlabelled controls on ${name}`).toEqual([]);
    await page.screenshot({ path: join(shots, `console-${name}.png`), fullPage: true });
  };
  const go = (page: Page, section: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: section, exact: true }).click();
  const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 10_000 });

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    execFileSync(process.execPath, [join('src', 'console', 'build.mjs')], { stdio: 'inherit' });
    dataDir = await mkdtemp(join(tmpdir(), 'latch-console-'));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const printed = new Promise<string>((resolve, reject) => {
      running = runLatch(['start'], {
        env: { PORT: String(port), LATCH_HOST: '127.0.0.1', LATCH_ISSUER: issuer, LATCH_DATA_DIR: dataDir, LATCH_LOG_LEVEL: 'silent' },
        signal: stop.signal,
        onStdout: (all) => {
          startOutput = all;
          const link = /^\s+(http\S+\/console\/setup\?token=\S+)$/m.exec(all);
          if (link && all.includes('Press Ctrl+C')) resolve(link[1]!);
        },
      });
      // Once the link is printed this is a no-op: a start that fails before it fails the suite.
      running.then((r) => reject(new Error(`latch start exited: ${r.stderr}`)));
    });
    setupLink = await printed;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    stop.abort();
    await running;
    await rm(dataDir, { recursive: true, force: true });
  });

  let admin: Page;

  it('prints a one-time setup link at the first start that creates the first admin', async () => {
    expect(startOutput).toContain('This link is valid for 1 hour and works once.');
    expect(startOutput).toContain('latch users create --email you@example.com --role admin');
    admin = watch(await (await newContext()).newPage());
    await admin.goto(setupLink);
    await heading(admin, 'Create the first administrator');
    await shot(admin, 'setup');
    await admin.getByLabel('Email address').fill(ADMIN.email);
    await admin.getByLabel('Name').fill(ADMIN.name);
    await admin.getByLabel('Password').fill(ADMIN.password);
    await admin.getByRole('button', { name: 'Create administrator' }).click();
    // Signed in by the setup: the console's sign-in (code flow + PKCE) needs at most the consent.
    await signInToConsole(admin);
    await heading(admin, 'Applications');
    expect(await admin.getByText(ADMIN.email).count()).toBeGreaterThan(0);
    await shot(admin, 'apps');

    // The link is spent.
    const again = await admin.context().newPage();
    const answer = await again.goto(setupLink);
    expect(answer?.status()).toBe(400);
    await again.close();
  });

  let appClientId: string;
  let appSecret: string;

  it('creates an application with the "which kind of app?" questions and shows its secret once', async () => {
    await admin.getByRole('link', { name: 'Create application' }).click();
    await heading(admin, 'Create application');
    await admin.getByLabel(/^Yes: a person signs in/).check();
    await admin.getByLabel(/^Web: it is a web application/).check();
    await admin.getByLabel(/^Yes: a server-side web application/).check();
    await expect.poll(() => admin.locator('select[name=kind]').inputValue()).toBe('web');
    expect(await admin.locator('.advice').textContent()).toContain('client secret');
    await admin.locator('[name=client_name]').fill('Console test app');
    await admin.locator('[name=redirect_uris]').fill(`${APP}/callback`);
    await shot(admin, 'app-new');
    await admin.getByRole('button', { name: 'Create application' }).click();
    await heading(admin, /^Application created/);
    appClientId = (await admin.getByTestId('client-id').textContent())!.trim();
    appSecret = await admin.locator('.secret input').inputValue();
    expect(appSecret.length).toBeGreaterThan(20);
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: issuer });
    await admin.getByRole('button', { name: 'Copy' }).click();
    await admin.getByText('Copied to the clipboard.').waitFor();
    expect(await admin.evaluate('navigator.clipboard.readText()')).toBe(appSecret);
    await shot(admin, 'app-created');
  });

  /** Opens the app's sign-in (openid-client builds the request) at Latch's login page. */
  async function openAppLogin(secret: string, redirectUri: string) {
    const request = await appRequest(issuer, appClientId, secret, redirectUri);
    const page = watch(await (await newContext()).newPage());
    await page.goto(request.url.href);
    return { page, request };
  }

  /** Signs `who` in to the app with openid-client; returns the tokens, or the page when sign-in did not finish. */
  async function appSignIn(who: { email: string; password: string }, secret: string, redirectUri = `${APP}/callback`) {
    const { page, request } = await openAppLogin(secret, redirectUri);
    const tokens = await completeAppSignIn(page, request, who);
    if (tokens) await page.context().close();
    return { page, tokens };
  }

  it('creates a person who signs in to the new app with openid-client', async () => {
    await go(admin, 'People');
    await heading(admin, 'People');
    await admin.getByRole('link', { name: 'Add person' }).click();
    await heading(admin, 'Add person');
    await admin.locator('[name=email]').fill(BOB.email);
    await admin.locator('[name=name]').fill(BOB.name);
    await admin.locator('[name=password]').fill(BOB.password);
    await shot(admin, 'person-new');
    await admin.getByRole('button', { name: 'Add person' }).click();
    await heading(admin, `${BOB.name} (${BOB.email})`);

    const { tokens } = await appSignIn(BOB, appSecret);
    expect(tokens?.claims()?.email).toBe(BOB.email);
    expect(tokens?.refresh_token).toBeDefined();
  });

  it('edits the redirect URIs: the new one works at once', async () => {
    // Not registered yet: Latch refuses the request on its own error page (RFC 6749 §4.1.2.1), not at the app.
    const before = await openAppLogin(appSecret, `${APP}/second`);
    await before.page.getByRole('heading', { name: 'Something went wrong' }).waitFor({ timeout: 5000 });
    await before.page.context().close();
    await go(admin, 'Applications');
    await admin.getByRole('searchbox', { name: 'Search applications' }).fill('no such app');
    await admin.getByRole('button', { name: 'Search' }).click();
    await admin.getByText('No applications match “no such app”.').waitFor();
    await admin.getByRole('searchbox', { name: 'Search applications' }).fill('console test');
    await admin.getByRole('button', { name: 'Search' }).click();
    await admin.getByRole('link', { name: 'Console test app' }).click();
    await heading(admin, 'Console test app');
    await admin.locator('[name=redirect_uris]').fill(`${APP}/callback\n${APP}/second`);
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => admin.getByRole('status').first().textContent()).toContain('Application saved.');
    await shot(admin, 'app');
    const after = await appSignIn(BOB, appSecret, `${APP}/second`);
    expect(after.tokens?.claims()?.email).toBe(BOB.email);
  });

  let bobRefresh: string;
  let rotated: client.Configuration;

  it('rotates the secret: the old one stops working, the new one works', async () => {
    const { tokens } = await appSignIn(BOB, appSecret);
    bobRefresh = tokens!.refresh_token!;
    await admin.locator('[name=grace_seconds]').fill('0');
    await admin.getByRole('button', { name: 'Rotate secret' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    await admin.getByText('New client secret', { exact: true }).waitFor();
    const newSecret = await admin.locator('.secret input').inputValue();
    expect(newSecret).not.toBe(appSecret);
    await shot(admin, 'app-rotated');

    const old = await client.discovery(new URL(issuer), appClientId, appSecret, client.ClientSecretBasic(appSecret), { execute: [client.allowInsecureRequests] });
    // RFC 6749 §5.2: invalid_client, 401 with a Basic challenge.
    await expect(client.refreshTokenGrant(old, bobRefresh)).rejects.toMatchObject({ status: 401, code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });
    rotated = await client.discovery(new URL(issuer), appClientId, newSecret, client.ClientSecretBasic(newSecret), { execute: [client.allowInsecureRequests] });
    const refreshed = await client.refreshTokenGrant(rotated, bobRefresh);
    bobRefresh = refreshed.refresh_token!;
    appSecret = newSecret;
  });

  it('disables a person: their next sign-in and their refresh fail', async () => {
    await go(admin, 'People');
    await heading(admin, 'People');
    await shot(admin, 'people');
    await admin.getByRole('searchbox', { name: 'Search people' }).fill('bob');
    await admin.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(1);
    await admin.getByRole('link', { name: BOB.email }).click();
    await heading(admin, `${BOB.name} (${BOB.email})`);
    await admin.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => admin.getByTestId('user-status').textContent()).toMatch(/^Disabled since/);
    await shot(admin, 'person');

    await expect(client.refreshTokenGrant(rotated, bobRefresh)).rejects.toMatchObject({ error: 'invalid_grant' });
    const { tokens, page } = await appSignIn(BOB, appSecret);
    expect(tokens).toBeUndefined();
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await page.context().close();
  });

  it('registers an API with scope descriptions, rotates the keys, lists the events', async () => {
    await go(admin, 'APIs');
    await heading(admin, 'APIs');
    await admin.getByRole('link', { name: 'Register API' }).click();
    await admin.locator('[name=identifier]').fill('https://photos.example.test');
    await admin.locator('[name=name]').fill('Photos');
    await admin.locator('[name=scopes]').fill('read:photos=See your photos\nwrite:photos=Change your photos');
    await shot(admin, 'api-new');
    await admin.getByRole('button', { name: 'Register API' }).click();
    await heading(admin, 'Photos');
    await shot(admin, 'api');
    await go(admin, 'APIs');
    await admin.getByRole('link', { name: 'Photos' }).waitFor();
    await shot(admin, 'apis');

    await go(admin, 'Signing keys');
    await heading(admin, 'Signing keys');
    const before = await admin.locator('tbody tr').count();
    await admin.getByRole('button', { name: 'Rotate keys' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await expect.poll(() => admin.getByRole('status').first().textContent()).toContain('Keys rotated.');
    await expect.poll(() => admin.locator('tbody tr').count()).toBeGreaterThan(before);
    await shot(admin, 'keys');

    await go(admin, 'Events');
    await heading(admin, 'Events');
    await admin.getByRole('cell', { name: 'admin.setup_completed' }).waitFor();
    await admin.locator('[name=type]').selectOption('user.disabled');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(1);
    expect(await admin.locator('tbody').textContent()).toContain('user.disabled');
    await shot(admin, 'events');
  });

  it('changes the branding, and the login page shows it', async () => {
    await go(admin, 'Branding');
    await heading(admin, 'Branding');
    await admin.locator('[name=product_name]').fill('Acme Identity');
    await admin.locator('[name=primary_color]').fill('#0a7d4f');
    await admin.locator('[name=privacy]').fill('https://acme.example.test/privacy');
    await admin.getByRole('button', { name: 'Save branding' }).click();
    await expect.poll(() => admin.getByRole('status').first().textContent()).toContain('Branding saved.');
    await shot(admin, 'branding');
    const { page } = await openAppLogin(appSecret, `${APP}/callback`);
    await page.locator('input[name=password]').waitFor();
    expect(await page.locator('body').textContent()).toContain('Acme Identity');
    expect(await page.title()).toContain('Acme Identity');
    expect(await page.getByRole('link', { name: 'Privacy' }).getAttribute('href')).toBe('https://acme.example.test/privacy');
    await page.screenshot({ path: join(shots, 'console-branded-login.png'), fullPage: true });
    await page.context().close();
  });

  it('deletes the application after a confirmation: its tokens stop working', async () => {
    await go(admin, 'Applications');
    await admin.getByRole('link', { name: 'Console test app' }).click();
    await heading(admin, 'Console test app');
    await admin.getByRole('button', { name: 'Delete application' }).click();
    const dialog = admin.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Delete Console test app?');
    // Cancel keeps it; the second time it goes.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await admin.getByRole('button', { name: 'Delete application' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await heading(admin, 'Applications');
    await expect.poll(() => admin.getByRole('status').first().textContent()).toContain('Application Console test app deleted.');
    expect(await admin.getByRole('link', { name: 'Console test app' }).count()).toBe(0);
    await expect(client.refreshTokenGrant(rotated, bobRefresh)).rejects.toMatchObject({ status: 401 });
  });

  it('works at 375 px wide and in dark mode', async () => {
    const context = await newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    const page = watch(await context.newPage());
    await context.addCookies(await admin.context().cookies());
    await page.goto(`${issuer}/console/people`);
    await signInToConsole(page);
    await heading(page, 'People');
    // Keyboard only: the first Tab reaches the skip link, then Tab and Enter open "Add person".
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'Add person'; i++) {
      await page.keyboard.press('Tab');
      focused = String(await page.evaluate('document.activeElement.textContent'));
    }
    // Focus is visible.
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Enter');
    await heading(page, 'Add person');
    await page.goBack();
    await heading(page, 'People');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'people-mobile-dark');
    await context.close();
  });

  it('tells a person without the admin role "You are not an administrator", with a sign-out', async () => {
    await go(admin, 'People');
    await admin.getByRole('link', { name: 'Add person' }).click();
    await admin.locator('[name=email]').fill(CAROL.email);
    await admin.locator('[name=name]').fill(CAROL.name);
    await admin.locator('[name=password]').fill(CAROL.password);
    await admin.getByRole('button', { name: 'Add person' }).click();
    await heading(admin, `${CAROL.name} (${CAROL.email})`);

    const page = watch(await (await newContext()).newPage());
    await page.goto(`${issuer}/console/`);
    await page.locator('input[name=email]').fill(CAROL.email);
    await page.locator('input[name=password]').fill(CAROL.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await signInToConsole(page);
    await heading(page, 'You are not an administrator');
    await shot(page, 'not-admin');
    await page.getByRole('button', { name: 'Sign out' }).click();
    // RP-initiated logout ends the Latch session and returns to the console, which asks for a sign-in again.
    await page.locator('input[name=password]').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await page.context().close();
    expect(cspViolations).toEqual([]);
  });
});
