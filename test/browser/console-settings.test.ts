import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, runLatch, type RunResult } from '../../src/cli/test-helpers.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import * as client from 'openid-client';
import { appRequest, completeAppSignIn, signInToConsole, UNLABELLED } from '../helpers/console.js';
import { freePort } from '../helpers/server.js';

/**
 * The console's less common settings in Chromium, each checked in the store afterwards (`latch ... show --json`
 * on the same data directory): an API's signing algorithm and introspection clients, an application's response
 * types, a person's address and other claims, roles besides admin; and the API's field errors shown beside the
 * field they name, with nothing changed.
 */
const shots = join(process.cwd(), 'test-output', 'screenshots');
const ADMIN = { email: 'settings-admin@example.test', name: 'Sam Settings', password: 'settings password 1' };
const ADA = { email: 'ada@example.test', name: 'Ada Lovelace', password: 'ada password 1234' };
const API_ID = 'https://photos.settings.example.test';

describe.skipIf(!chromiumAvailable)('console settings in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  const stop = new AbortController();
  let running: Promise<RunResult>;
  const problems: string[] = [];
  let backendId: string;
  let spaId: string;
  let webId: string;
  let webSecret: string;

  /** `latch ...args --json` against the running server's data: what the store holds now. */
  const latch = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
    const result = await runLatch([...args, '--json'], { env });
    expectCode(result, 0);
    return result.json<T>();
  };
  const shot = async (name: string, target: Page = page) => {
    expect(await target.evaluate(UNLABELLED), `unlabelled controls on ${name}`).toEqual([]);
    await target.screenshot({ path: join(shots, `console-${name}.png`), fullPage: true });
  };
  const heading = (name: string | RegExp, target: Page = page) => target.getByRole('heading', { level: 1, name }).waitFor({ timeout: 10_000 });
  const go = (section: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: section, exact: true }).click();
  const status = () => page.getByRole('status').first().textContent();
  /** The texts a control (or fieldset) points at with aria-describedby: its hint and the error beside it. */
  const described = (control: Locator): Promise<string> =>
    control.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter(Boolean)
        .map((id: string) => el.ownerDocument.getElementById(id)?.textContent ?? '')
        .join(' | '),
    );
  /** The error shown beside `control`: it is marked invalid, and the message is in the text it is described by. */
  const expectFieldError = async (control: Locator, message: RegExp) => {
    await expect.poll(() => control.getAttribute('aria-invalid')).toBe('true');
    expect(await described(control)).toMatch(message);
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    execFileSync(process.execPath, [join('src', 'console', 'build.mjs')], { stdio: 'inherit' });
    dataDir = await mkdtemp(join(tmpdir(), 'latch-console-settings-'));
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    env = { PORT: String(port), LATCH_HOST: '127.0.0.1', LATCH_ISSUER: issuer, LATCH_DATA_DIR: dataDir, LATCH_LOG_LEVEL: 'silent' };
    const printed = new Promise<string>((resolve, reject) => {
      running = runLatch(['start'], {
        env,
        signal: stop.signal,
        onStdout: (all) => {
          const link = /^\s+(http\S+\/console\/setup\?token=\S+)$/m.exec(all);
          if (link && all.includes('Press Ctrl+C')) resolve(link[1]!);
        },
      });
      running.then((r) => reject(new Error(`latch start exited: ${r.stderr}`)));
    });
    const setupLink = await printed;

    // What the operator edits: made in the shell, so that only the editing goes through the console.
    backendId = (await latch<{ client_id: string }>('clients', 'create', '--name', 'Photos backend', '--type', 'm2m')).client_id;
    spaId = (await latch<{ client_id: string }>('clients', 'create', '--name', 'Photos SPA', '--type', 'spa', '--redirect-uri', 'https://spa.example.test/cb')).client_id;
    const web = await latch<{ client_id: string; client_secret: string }>('clients', 'create', '--name', 'Photos web', '--type', 'web', '--redirect-uri', 'https://web.example.test/cb');
    webId = web.client_id;
    webSecret = web.client_secret;
    const ada = await runLatch(['users', 'create', '--email', ADA.email, '--name', ADA.name, '--password-stdin'], { env, stdin: ADA.password });
    expectCode(ada, 0);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && problems.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${page.url()}: page error ${e.message}`));
    await page.goto(setupLink);
    await page.getByLabel('Email address').fill(ADMIN.email);
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await signInToConsole(page);
    await heading('Applications');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    stop.abort();
    await running;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers an API with a signing algorithm and an introspection client chosen from the confidential clients', async () => {
    await go('APIs');
    await page.getByRole('link', { name: 'Register API' }).click();
    await heading('Register API');
    await page.locator('[name=identifier]').fill(API_ID);
    await page.locator('[name=name]').fill('Settings photos');
    await page.locator('[name=scopes]').fill('read:photos=See your photos');
    await page.getByLabel('Signing algorithm').selectOption('RS256');
    const clients = page.getByRole('group', { name: 'Introspection clients' });
    await clients.getByLabel(`Photos backend (${backendId})`).waitFor();
    // Only confidential clients can authenticate to /introspect (RFC 7662 §2.1): the public SPA is not offered.
    expect(await clients.getByLabel(/Photos SPA/).count()).toBe(0);
    expect(await clients.locator(`input[value="${spaId}"]`).count()).toBe(0);
    expect(await clients.getByLabel(/Photos web/).count()).toBe(1);
    await page.getByRole('button', { name: 'Register API' }).click();
    await heading('Settings photos');
    const stored = await latch('apis', 'show', API_ID);
    expect(stored).toMatchObject({ signing_alg: 'RS256', introspection_clients: [], token_format: 'jwt' });
  });

  it("edits the API's signing algorithm, introspection clients, format and lifetime", async () => {
    await page.getByLabel('Signing algorithm').selectOption('PS256');
    await page.getByLabel('Access token format').selectOption('opaque');
    await page.locator('[name=access_token_ttl]').fill('900');
    await page.getByRole('group', { name: 'Introspection clients' }).getByLabel(`Photos backend (${backendId})`).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(status).toContain('API saved.');
    expect(await latch('apis', 'show', API_ID)).toMatchObject({
      signing_alg: 'PS256',
      token_format: 'opaque',
      access_token_ttl: 900,
      introspection_clients: [backendId],
      scopes: ['read:photos'],
      scope_descriptions: { 'read:photos': 'See your photos' },
    });
    // The form shows what was saved after the reload.
    expect(await page.getByLabel('Signing algorithm').inputValue()).toBe('PS256');
    expect(await page.getByRole('group', { name: 'Introspection clients' }).getByLabel(`Photos backend (${backendId})`).isChecked()).toBe(true);
    await shot('api-settings');
  });

  it('shows a bad lifetime beside its field and changes nothing', async () => {
    await page.locator('[name=access_token_ttl]').fill('0');
    await page.getByRole('group', { name: 'Introspection clients' }).getByLabel(`Photos backend (${backendId})`).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expectFieldError(page.locator('[name=access_token_ttl]'), /Too small|>=\s*1/);
    expect(await page.locator('[name=signing_alg]').getAttribute('aria-invalid')).toBeNull();
    await shot('api-field-error');
    // A refused request changes nothing: the introspection client stays.
    expect(await latch('apis', 'show', API_ID)).toMatchObject({ access_token_ttl: 900, introspection_clients: [backendId] });
  });

  it("edits an application's response types; a response type its grant types cannot give is refused beside the field", async () => {
    await go('Applications');
    await page.getByRole('link', { name: 'Photos web' }).click();
    await heading('Photos web');
    const responseTypes = page.getByRole('group', { name: 'Response types' });
    expect(await responseTypes.getByLabel(/^code \(authorization code\)/).isChecked()).toBe(true);

    // id_token needs the implicit grant type (OIDC Registration §2): the server says so, beside the response types.
    await responseTypes.getByLabel(/^code id_token \(hybrid/).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expectFieldError(responseTypes, /implicit/);
    await shot('app-response-types-error');
    expect(await latch('clients', 'show', webId)).toMatchObject({ response_types: ['code'] });

    await page.getByRole('group', { name: 'Grant types' }).getByLabel('Implicit (discouraged)').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(status).toContain('Application saved.');
    const stored = await latch<{ response_types: string[]; grant_types: string[] }>('clients', 'show', webId);
    expect([...stored.response_types].sort()).toEqual(['code', 'code id_token']);
    expect(stored.grant_types).toContain('implicit');
    await expect.poll(() => responseTypes.getAttribute('aria-invalid')).toBeNull();
    await shot('app-response-types');

    // And back: only code.
    await responseTypes.getByLabel(/^code id_token \(hybrid/).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await latch<{ response_types: string[] }>('clients', 'show', webId)).response_types).toEqual(['code']);
  });

  it('lists who authorized an application, and revokes an authorization: its refresh token stops working', async () => {
    const request = await appRequest(env.LATCH_ISSUER!, webId, webSecret, 'https://web.example.test/cb');
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    await context.route('https://web.example.test/**', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'app callback' }));
    const appPage = await context.newPage();
    await appPage.goto(request.url.href);
    const tokens = await completeAppSignIn(appPage, request, ADA);
    await context.close();
    expect(tokens?.refresh_token).toBeDefined();
    const sub = String(tokens!.claims()!.sub);

    await page.reload();
    await heading('Photos web');
    const grants = page.getByRole('region', { name: 'Authorizations' });
    await grants.getByRole('link', { name: sub }).waitFor();
    await shot('app-grants');
    await grants.getByRole('button', { name: `Revoke the authorization of ${sub}` }).click();
    await expect.poll(status).toContain('Authorization revoked');
    await grants.getByText('Revoked').waitFor();
    // RFC 6749 §5.2: a refresh token of a revoked grant is invalid_grant.
    await expect(client.refreshTokenGrant(request.config, tokens!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it("edits a person's address and less common claims; a bad birthdate is shown beside its field", async () => {
    await go('People');
    await page.getByRole('link', { name: ADA.email }).click();
    await heading(`${ADA.name} (${ADA.email})`);
    await page.locator('[name=middle_name]').fill('King');
    await page.locator('[name=nickname]').fill('Ada');
    await page.locator('[name=preferred_username]').fill('ada.l');
    await page.locator('[name=website]').fill('https://ada.example.test');
    await page.locator('[name=zoneinfo]').fill('Europe/London');
    await page.locator('[name=locale]').fill('en-GB');
    await page.locator('[name=phone_number]').fill('+441234567890');
    await page.getByLabel('Phone number verified').check();
    await page.locator('[name="address.street_address"]').fill('12 St James Square');
    await page.locator('[name="address.locality"]').fill('London');
    await page.locator('[name="address.postal_code"]').fill('SW1Y 4JH');
    await page.locator('[name="address.country"]').fill('GB');
    await page.locator('[name=birthdate]').fill('10/12/1815');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expectFieldError(page.locator('[name=birthdate]'), /YYYY-MM-DD/);
    await shot('person-field-error');
    // Nothing was saved: the claims are checked before anything is written.
    expect((await latch<Record<string, unknown>>('users', 'show', ADA.email)).middle_name).toBeUndefined();

    await page.locator('[name=birthdate]').fill('1815-12-10');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(status).toContain('Profile saved.');
    expect(await latch('users', 'show', ADA.email)).toMatchObject({
      middle_name: 'King',
      nickname: 'Ada',
      preferred_username: 'ada.l',
      website: 'https://ada.example.test',
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      birthdate: '1815-12-10',
      phone_number: '+441234567890',
      phone_number_verified: true,
      address: { street_address: '12 St James Square', locality: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
    });
    await expect.poll(() => page.locator('[name=birthdate]').getAttribute('aria-invalid')).toBeNull();
    await shot('person-profile');

    // An emptied claim is removed; the address keeps its other fields.
    await page.locator('[name=nickname]').fill('');
    await page.locator('[name="address.postal_code"]').fill('');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(async () => (await latch<Record<string, unknown>>('users', 'show', ADA.email)).nickname).toBeUndefined();
    expect((await latch<{ address: unknown }>('users', 'show', ADA.email)).address).toEqual({ street_address: '12 St James Square', locality: 'London', country: 'GB' });
  });

  it('gives and takes away a role other than admin; a bad role name is shown beside its field', async () => {
    const roles = page.getByRole('region', { name: 'Roles' });
    await roles.getByLabel(/^Role name/).fill('Not A Role');
    await roles.getByRole('button', { name: 'Give role' }).click();
    await expectFieldError(roles.locator('[name=role]'), /role name/);
    expect((await latch<{ roles: string[] }>('users', 'show', ADA.email)).roles).toEqual([]);

    await roles.getByLabel(/^Role name/).fill('support');
    await roles.getByRole('button', { name: 'Give role' }).click();
    await expect.poll(status).toContain('has the role support now');
    await roles.getByRole('button', { name: 'Remove role support' }).waitFor();
    expect((await latch<{ roles: string[] }>('users', 'show', ADA.email)).roles).toEqual(['support']);
    await roles.getByLabel(/^Role name/).fill('billing');
    await roles.getByLabel(/^Role name/).press('Enter');
    await expect.poll(async () => (await latch<{ roles: string[] }>('users', 'show', ADA.email)).roles).toEqual(['billing', 'support']);
    await shot('person-roles');

    await roles.getByRole('button', { name: 'Remove role support' }).click();
    await expect.poll(async () => (await latch<{ roles: string[] }>('users', 'show', ADA.email)).roles).toEqual(['billing']);
    await expect.poll(() => roles.getByRole('button', { name: 'Remove role support' }).count()).toBe(0);

    // The admin role still asks first.
    await roles.getByRole('button', { name: 'Make administrator' }).click();
    await roles.getByRole('button', { name: 'Remove admin role' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove admin role' }).click();
    await expect.poll(async () => (await latch<{ roles: string[] }>('users', 'show', ADA.email)).roles).toEqual(['billing']);
  });

  it('the new settings work at 375 px wide, in dark mode and with the keyboard', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    context.setDefaultTimeout(10_000);
    await context.addCookies(await page.context().cookies());
    const mobile = await context.newPage();
    mobile.on('pageerror', (e) => problems.push(`${mobile.url()}: page error ${e.message}`));
    await mobile.goto(`${env.LATCH_ISSUER}/console/apis/${encodeURIComponent(API_ID)}`);
    await signInToConsole(mobile);
    await heading('Settings photos', mobile);
    const box = mobile.getByRole('group', { name: 'Introspection clients' }).getByLabel(`Photos backend (${backendId})`);
    await box.focus();
    await mobile.keyboard.press('Space');
    expect(await box.isChecked()).toBe(false);
    await mobile.keyboard.press('Space');
    expect(await box.isChecked()).toBe(true);
    expect(await mobile.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    expect(await mobile.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await shot('api-settings-mobile-dark', mobile);
    await mobile.goto(`${env.LATCH_ISSUER}/console/people`);
    await heading('People', mobile);
    await mobile.getByRole('link', { name: ADA.email }).click();
    await heading(`${ADA.name} (${ADA.email})`, mobile);
    expect(await mobile.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await shot('person-mobile-dark', mobile);
    await mobile.goto(`${env.LATCH_ISSUER}/console/apps/${encodeURIComponent(webId)}`);
    await heading('Photos web', mobile);
    await mobile.getByRole('group', { name: 'Response types' }).waitFor();
    expect(await mobile.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await shot('app-mobile-dark', mobile);
    await context.close();
    expect(problems).toEqual([]);
  });
});
