/**
 * The device authorization grant (RFC 8628): openid-client plays the device, the fetch Browser plays the person who
 * opens the verification URI, logs in and approves or denies; then how people type user codes, and the example CLI.
 * The polling errors of RFC 8628 §3.5 are in device-polling.test.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/tokens/hash.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { Browser, findConsentForm, findLoginForm } from '../helpers/browser.js';
import {
  DEVICE_GRANT,
  DEVICE_SCOPE,
  type DeviceAuthorization,
  deviceAuthorizationRequest,
  findUserCodeForm,
  pollToken,
  requestDeviceAuthorization,
  sleep,
  verifyDevice,
} from '../helpers/device.js';
import { expectTokenError, expectTokens, getJson, introspect } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const SCOPE = DEVICE_SCOPE;

let ts: TestServer;
let user: TestUser;
let tv: TestClient;
let web: TestClient;

beforeAll(async () => {
  ts = await startTestServer({ deviceCodeInterval: 1 });
  user = await ts.user({ name: 'Ada Lovelace' });
  tv = await ts.client({ kind: 'device', name: 'Living room TV' });
  web = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

beforeEach(async () => {
  // Every test enters codes from 127.0.0.1; only the rate-limit test wants the guesses to add up.
  await ts.latch.store.rateLimits.reset('user_code:ip:127.0.0.1');
});

const startDevice = (server: TestServer = ts, c: TestClient = tv, scope = SCOPE) => requestDeviceAuthorization(server, c, scope);
const poll = (deviceCode: string, c: TestClient = tv, server: TestServer = ts) => pollToken(server, c, deviceCode);

describe('discovery', () => {
  it('lists the device authorization endpoint and both new grants (RFC 8628 §4, RFC 8414)', async () => {
    const m = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(m.device_authorization_endpoint).toBe(`${ts.issuer}/device_authorization`);
    expect(m.grant_types_supported).toEqual(expect.arrayContaining([DEVICE_GRANT, 'client_credentials', 'authorization_code', 'refresh_token']));
    const oauth = (await getJson(`${ts.issuer}/.well-known/oauth-authorization-server`)).body;
    expect(oauth.device_authorization_endpoint).toBe(`${ts.issuer}/device_authorization`);
  });
});

describe('device authorization response (RFC 8628 §3.2)', () => {
  it('returns device_code, user_code, both verification URIs, expires_in and interval, not cached', async () => {
    const res = await deviceAuthorizationRequest(ts, tv);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    const body = res.body as DeviceAuthorization;
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(body.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.user_code).toMatch(USER_CODE);
    expect(body.verification_uri).toBe(`${ts.issuer}/device`);
    expect(body.verification_uri_complete).toBe(`${ts.issuer}/device?user_code=${body.user_code}`);
    expect(body.expires_in).toBe(600);
    expect(body.interval).toBe(1);
  });

  it('gives every request its own codes', async () => {
    const [a, b] = [await startDevice(), await startDevice()];
    expect(a.device_code).not.toBe(b.device_code);
    expect(a.user_code).not.toBe(b.user_code);
  });

  it('refuses a client not registered for the device grant with unauthorized_client', async () => {
    expectTokenError(await deviceAuthorizationRequest(ts, web), 400, 'unauthorized_client');
    const m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
    expectTokenError(await deviceAuthorizationRequest(ts, m2m, { scope: 'reports:read' }), 400, 'unauthorized_client');
  });

  it('refuses a missing scope and a scope the client is not registered for with invalid_scope', async () => {
    expectTokenError(await deviceAuthorizationRequest(ts, tv, {}), 400, 'invalid_scope');
    const res = await deviceAuthorizationRequest(ts, tv, { scope: 'openid admin' });
    expectTokenError(res, 400, 'invalid_scope');
    expect(res.body.error_description).toContain('admin');
  });

  it('refuses an unknown client with invalid_client (401)', async () => {
    expectTokenError(await deviceAuthorizationRequest(ts, { clientId: 'nobody', redirectUri: '' }), 401, 'invalid_client');
  });
});

describe('happy path with openid-client', () => {
  it('polls while the person approves, then gets access, refresh and ID tokens', async () => {
    const config = await discover(ts, tv);
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${ts.issuer}/device_authorization`);
    const authorization = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    expect(authorization.user_code).toMatch(USER_CODE);

    // The device polls from the start: openid-client sees authorization_pending until the person approves.
    const polling = client.pollDeviceAuthorizationGrant(config, authorization);
    const stored = () => ts.latch.store.deviceCodes.find(digest(authorization.device_code));
    while ((await stored())?.lastPolledAt == null) await sleep(100);
    const person = await verifyDevice(new Browser(), authorization.verification_uri_complete!, { user, decision: 'allow' });
    expect(person.sawLogin).toBe(true);
    expect(person.page.status).toBe(200);
    expect(person.page.body).toContain('You can return to your device');

    // The confirmation page says who asks, for what, and shows the code to compare (RFC 8628 §5.4).
    const confirm = person.confirm!.body;
    expect(confirm).toContain('Living room TV');
    expect(confirm).toContain(authorization.user_code);
    expect(confirm).toContain(user.email);
    expect(confirm).toContain('Your email address');
    expect(person.confirm!.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);

    const tokens = await polling;
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(typeof tokens.refresh_token).toBe('string');
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: ts.issuer, sub: user.sub, aud: tv.clientId, azp: tv.clientId, email: user.email, name: 'Ada Lovelace' });
    expect(claims).not.toHaveProperty('nonce');
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');

    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info).toMatchObject({ sub: user.sub, email: user.email });

    const record = await ts.latch.store.tokens.find(tokenKey(tokens.access_token));
    expect(record).toMatchObject({ kind: 'access_token', clientId: tv.clientId, sub: user.sub });
    expect(record!.scope.split(' ').sort()).toEqual(SCOPE.split(' ').sort());
    // RFC 7662 §4: another client learns nothing about the TV's token.
    expect((await introspect(ts, tokens.access_token, web)).body).toEqual({ active: false });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(user.sub);
  });

  it('skips the login page for a browser that is already signed in, but always asks to confirm', async () => {
    const browser = new Browser();
    const first = await startDevice();
    expect((await verifyDevice(browser, first.verification_uri_complete, { user, decision: 'allow' })).sawLogin).toBe(true);
    const second = await startDevice();
    const again = await verifyDevice(browser, second.verification_uri_complete, { decision: 'allow' });
    expect(again.sawLogin).toBe(false);
    expect(again.confirm).toBeDefined();
    const body = expectTokens(await poll(second.device_code));
    expect(typeof body.id_token).toBe('string');
  });

  it('issues no ID token without openid, and no refresh token to a client without the refresh_token grant', async () => {
    const plain = await ts.client({ kind: 'device', grantTypes: [DEVICE_GRANT] });
    const authorization = await startDevice(ts, plain, 'profile');
    await verifyDevice(new Browser(), authorization.verification_uri_complete, { user, decision: 'allow' });
    const body = expectTokens(await poll(authorization.device_code, plain));
    expect(body.scope).toBe('profile');
    expect(body).not.toHaveProperty('id_token');
    expect(body).not.toHaveProperty('refresh_token');
  });
});

describe('user codes as people type them (RFC 8628 §6.1)', () => {
  it.each([
    ['lower case', (code: string) => code.toLowerCase()],
    ['without the dash', (code: string) => code.replace('-', '')],
    ['lower case, spaces, no dash', (code: string) => ` ${code.toLowerCase().replace('-', ' ')} `],
  ])('accepts the code typed in %s at the plain verification_uri', async (_name, typed) => {
    const authorization = await startDevice();
    const browser = new Browser();
    const entry = await browser.request(authorization.verification_uri);
    expect(findUserCodeForm(entry)?.inputs.find((i) => i.name === 'user_code')?.value).toBe('');
    const person = await verifyDevice(browser, authorization.verification_uri, { user, userCode: typed(authorization.user_code), decision: 'allow' });
    expect(person.confirm?.body).toContain(authorization.user_code);
    expectTokens(await poll(authorization.device_code));
  });

  it('prefills the code from verification_uri_complete', async () => {
    const authorization = await startDevice();
    const page = await new Browser().request(authorization.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(findUserCodeForm(page)?.inputs.find((i) => i.name === 'user_code')?.value).toBe(authorization.user_code);
  });

  it('answers a wrong code with the form again and a 400, without revealing anything', async () => {
    const browser = new Browser();
    const result = await verifyDevice(browser, `${ts.issuer}/device`, { user, userCode: 'BCDF-GHJK' });
    expect(result.page.status).toBe(400);
    expect(result.page.body).toContain('not valid');
    expect(findUserCodeForm(result.page)).toBeDefined();
    const malformed = await verifyDevice(browser, `${ts.issuer}/device`, { user, userCode: 'AEIOU-123' });
    expect(malformed.page.status).toBe(400);
  });

  it('refuses a code entry without the CSRF token', async () => {
    const authorization = await startDevice();
    const browser = new Browser();
    await browser.request(`${ts.issuer}/device`);
    const page = await browser.request(`${ts.issuer}/device`, { method: 'POST', body: new URLSearchParams({ user_code: authorization.user_code }) });
    // A bad CSRF token is 403 Forbidden, as on the login and consent pages.
    expect(page.status).toBe(403);
    expect(page.body).toContain('The form has expired');
    expect(findLoginForm(page)).toBeUndefined();
  });

  it('binds the rest of the interaction to the browser that entered the code, and the URL to that code', async () => {
    const authorization = await startDevice();
    const browser = new Browser();
    const entry = await browser.request(authorization.verification_uri_complete);
    const form = findUserCodeForm(entry)!;
    const next = await browser.submit(form, { user_code: authorization.user_code }, { stopAt: 'urn:never' });
    expect(next.kind).toBe('page');
    const interactionUrl = next.trail[0]!.location!;
    expect(interactionUrl.pathname).toMatch(/^\/device\/[A-Za-z0-9_-]{43}$/);
    // Another browser cannot continue it.
    const stranger = await new Browser().request(interactionUrl);
    expect(stranger.status).toBe(400);
    expect(findLoginForm(stranger)).toBeUndefined();
    // Nor can the URL be made to show another code than the one entered.
    const other = await startDevice();
    const swapped = new URL(interactionUrl);
    swapped.searchParams.set('user_code', other.user_code);
    const page = await browser.request(swapped);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain(other.user_code);
  });

  it('limits wrong codes per address: 429 with Retry-After after 10 in 5 minutes (RFC 8628 §5.1)', async () => {
    const authorization = await startDevice();
    const browser = new Browser();
    for (let i = 0; i < 10; i++) {
      const result = await verifyDevice(browser, `${ts.issuer}/device`, { userCode: 'BCDF-GHJK' });
      expect(result.page.status).toBe(400);
    }
    // Even the right code is refused now.
    const limited = await verifyDevice(browser, `${ts.issuer}/device`, { user, userCode: authorization.user_code });
    expect(limited.page.status).toBe(429);
    expect(limited.page.body).toContain('Too many wrong codes');
    expect(Number(limited.page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(findLoginForm(limited.page)).toBeUndefined();
    expect(findConsentForm(limited.page)).toBeUndefined();
    await ts.latch.store.rateLimits.reset('user_code:ip:127.0.0.1');
    const later = await verifyDevice(browser, `${ts.issuer}/device`, { user, userCode: authorization.user_code, decision: 'allow' });
    expect(later.page.status).toBe(200);
  });

  it('right codes do not count: 30 people behind one address enter theirs, then a typo is only a typo', async () => {
    const people = await Promise.all(Array.from({ length: 30 }, () => startDevice()));
    for (const person of people) {
      const entered = await verifyDevice(new Browser(), `${ts.issuer}/device`, { userCode: person.user_code });
      expect(entered.sawLogin, entered.page.body.slice(0, 300)).toBe(true);
    }
    for (let i = 0; i < 9; i++) {
      expect((await verifyDevice(new Browser(), `${ts.issuer}/device`, { userCode: 'BCDF-GHJK' })).page.status).toBe(400);
    }
    const last = await verifyDevice(new Browser(), `${ts.issuer}/device`, { user, userCode: people[0]!.user_code, decision: 'allow' });
    expect(last.page.status).toBe(200);
  });
});

describe('examples/device/cli.mjs', () => {
  it('shows the code and the URL, polls, and prints who logged in', async () => {
    const cli = spawn(process.execPath, [join('examples', 'device', 'cli.mjs')], {
      env: { ...process.env, LATCH_ISSUER: ts.issuer, CLIENT_ID: tv.clientId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    const link = await new Promise<string>((resolve, reject) => {
      cli.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Or open this link, which has the code in it: (\S+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      cli.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${stderr}`)));
    });
    expect(stdout).toMatch(new RegExp(`open ${ts.issuer}/device and enter the code: [A-Z]{4}-[A-Z]{4}`));
    const person = await verifyDevice(new Browser(), link, { user, decision: 'allow' });
    expect(person.page.body).toContain('You can return to your device');
    expect(await exited, stderr).toBe(0);
    expect(stdout).toContain(`Signed in as Ada Lovelace (sub ${user.sub})`);
    expect(stdout).toContain(`"email": "${user.email}"`);
    expect(stdout).toContain('UserInfo:');
  });
});
