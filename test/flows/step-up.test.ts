import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, machineAdmin } from '../helpers/admin.js';
import { Browser as FormBrowser } from '../helpers/browser.js';
import { DEVICE_GRANT, pollToken, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import { findConsentForm, parseForms } from '../helpers/browser.js';
import { decodeJwt } from 'jose';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { getJson, introspect, tokenRequest } from '../helpers/oauth.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';
import { enrolTotp, finishSignIn, startLocalhostLatch, startSignIn, totpCode, typeCode, typePassword } from './step-up-helpers.js';

const MFA = 'urn:latch:acr:mfa';
const secondStep = 'Confirm it’s you';

/**
 * Step-up (OIDC Core §3.1.2.1 acr_values) and per-client policy (default_acr_values) with LATCH_MFA off: a second
 * factor is asked only when the request or the client needs it, and the ID token's acr/amr say what happened;
 * prompt=login and max_age re-authenticate both factors; prompt=none cannot step up; the password grant is refused
 * for a client that needs a second factor; an operator's reset makes the person enrol again.
 */
describe.skipIf(!chromiumAvailable)('step-up and per-client second factor in Chromium', { timeout: 60_000 }, () => {
  let latch: TestServer;
  let app: TestClient;
  let strict: TestClient;
  let browser: Browser;
  const shots = screenshotDir('step-up');
  const csp: string[] = [];

  beforeAll(async () => {
    latch = await startLocalhostLatch({ passwordGrant: true });
    app = await latch.client({ kind: 'web', name: 'Photo album', redirectUris: [`${latch.issuer}/signed-in`], grantTypes: ['authorization_code', 'password'] });
    strict = await latch.client({ kind: 'web', name: 'Payroll', redirectUris: [`${latch.issuer}/signed-in`], grantTypes: ['authorization_code', 'password'] });
    const record = (await latch.latch.store.clients.find(strict.clientId))!;
    await latch.latch.store.clients.update(strict.clientId, { metadata: { ...record.metadata, default_acr_values: [MFA] } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await latch?.close();
  });

  async function heading(page: Page): Promise<string> {
    return ((await page.locator('h1').first().textContent({ timeout: 10_000 })) ?? '').trim();
  }

  /** A person who enrolled TOTP through the strict client (which always asks); returns their secret and codes. */
  async function enrolled(): Promise<{ user: TestUser; secret: string; codes: string[] }> {
    const user = await latch.user();
    const page = await pageWithCspWatch(browser, csp);
    const started = await startSignIn(page, latch, strict);
    await typePassword(page, user.email);
    expect(await heading(page)).toBe('Set up a second step');
    const { secret, codes } = await enrolTotp(page);
    await page.getByRole('link', { name: 'Continue' }).click();
    const claims = await finishSignIn(page, latch, strict, started);
    expect(claims.acr).toBe(MFA);
    await page.context().close();
    return { user, secret, codes };
  }

  it('asks no second factor without acr_values; asks it with acr_values=urn:latch:acr:mfa, and the ID token says so', async () => {
    const { user, secret } = await enrolled();
    const page = await pageWithCspWatch(browser, csp);
    let started = await startSignIn(page, latch, app);
    await typePassword(page, user.email);
    expect(await heading(page)).not.toBe(secondStep);
    let claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe('urn:latch:acr:pwd');

    // Step-up in the same browser: no password again (the session has it), only the second factor.
    started = await startSignIn(page, latch, app, { acr_values: MFA });
    expect(await heading(page)).toBe(secondStep);
    await page.screenshot({ path: join(shots, '1-step-up.png'), fullPage: true });
    await typeCode(page, totpCode(secret, 1));
    claims = await finishSignIn(page, latch, app, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);

    // The session now states both factors: a later step-up request is not asked again.
    started = await startSignIn(page, latch, app, { acr_values: MFA });
    claims = await finishSignIn(page, latch, app, started);
    expect(claims.acr).toBe(MFA);
    await page.context().close();
  });

  it('always asks for a client registered with default_acr_values mfa; prompt=login and max_age ask both factors again', async () => {
    const { user, codes } = await enrolled();
    const page = await pageWithCspWatch(browser, csp);
    let started = await startSignIn(page, latch, strict);
    await typePassword(page, user.email);
    expect(await heading(page)).toBe(secondStep);
    await page.locator('summary').click();
    await typeCode(page, codes[0] as string, '#recovery-code');
    let claims = await finishSignIn(page, latch, strict, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    const firstAuthTime = claims.auth_time as number;

    // OIDC Core §3.1.2.1 prompt=login: the password again, then (the new session has only pwd) the second factor again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    started = await startSignIn(page, latch, strict, { prompt: 'login' });
    expect(await heading(page)).toBe('Sign in');
    await typePassword(page, user.email);
    expect(await heading(page)).toBe(secondStep);
    await page.locator('summary').click();
    await typeCode(page, codes[1] as string, '#recovery-code');
    claims = await finishSignIn(page, latch, strict, started);
    expect(claims.acr).toBe(MFA);
    expect(claims.auth_time as number).toBeGreaterThan(firstAuthTime);

    // max_age=0 (a second later, so that the last authentication is older than 0 seconds): the same.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    started = await startSignIn(page, latch, strict, { max_age: '0' });
    expect(await heading(page)).toBe('Sign in');
    await typePassword(page, user.email);
    expect(await heading(page)).toBe(secondStep);
    await page.locator('summary').click();
    await typeCode(page, codes[2] as string, '#recovery-code');
    claims = await finishSignIn(page, latch, strict, started);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    await page.context().close();
  });

  it('prompt=none cannot step up: interaction_required', async () => {
    const user = await latch.user();
    const page = await pageWithCspWatch(browser, csp);
    const started = await startSignIn(page, latch, app);
    await typePassword(page, user.email);
    await finishSignIn(page, latch, app, started);
    await startSignIn(page, latch, app, { acr_values: MFA, prompt: 'none' });
    await page.waitForURL((u) => u.pathname === '/signed-in');
    expect(new URL(page.url()).searchParams.get('error')).toBe('interaction_required');
    await page.context().close();
  });

  it('refuses the password grant for a client that needs a second factor (invalid_grant), not for others', async () => {
    const user = await latch.user();
    const grant = (client: TestClient) =>
      tokenRequest(latch, { grant_type: 'password', username: user.email, password: user.password, scope: 'openid' }, { clientId: client.clientId, clientSecret: client.clientSecret! });
    const refused = await grant(strict);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(refused.body.error_description).toMatch(/requires a second factor/);
    expect((await grant(app)).status).toBe(200);
  });

  it('an operator reset (DELETE /admin/api/users/:sub/factors) makes the person enrol again, recorded as factor.reset', async () => {
    const { user } = await enrolled();
    const admin = await machineAdmin(latch);
    const api = adminApi(latch, admin.token);
    expect((await api('DELETE', `/users/${user.sub}/factors`)).status).toBe(204);
    expect(await latch.latch.store.totpSecrets.find(user.sub)).toBeUndefined();
    expect(await latch.latch.store.recoveryCodes.remaining(user.sub)).toBe(0);
    const events = await api('GET', `/events?user=${user.sub}&type=factor.reset`);
    expect(events.status, events.text).toBe(200);
    expect(JSON.stringify(events.body)).toContain('factor.reset');
    const page = await pageWithCspWatch(browser, csp);
    await startSignIn(page, latch, strict);
    await typePassword(page, user.email);
    expect(await heading(page)).toBe('Set up a second step');
    await page.context().close();
  });

  it('a device whose client needs a second factor has it asked on the device pages, and its tokens say so', async () => {
    // A confidential device client (the device grant on a client with a secret), so it may introspect its own token.
    const device = await latch.client({ kind: 'web', name: 'TV', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'] });
    const record = (await latch.latch.store.clients.find(device.clientId))!;
    await latch.latch.store.clients.update(device.clientId, { metadata: { ...record.metadata, default_acr_values: [MFA] } });
    const { user, secret } = await enrolled();
    const authorization = await requestDeviceAuthorization(latch, device);
    const person = new FormBrowser();
    const result = await verifyDevice(person, authorization.verification_uri_complete!, { user, decision: 'allow' });
    expect(result.sawLogin).toBe(true);
    expect(result.confirm).toBeUndefined();
    expect(result.page.status).toBe(200);
    expect(result.page.body).toContain(secondStep);
    expect((await pollToken(latch, device, authorization.device_code)).body.error).toBe('authorization_pending');

    const codeForm = parseForms(result.page.body, result.page.url).find((f) => f.action.pathname.endsWith('/factor/totp'));
    expect(codeForm, result.page.body.slice(0, 2000)).toBeDefined();
    const answered = await person.submit(codeForm!, { code: totpCode(secret, 1) }, { stopAt: 'urn:never' });
    if (answered.kind !== 'page') throw new Error('left Latch');
    const consent = findConsentForm(answered.page);
    expect(consent, answered.page.body.slice(0, 2000)).toBeDefined();
    await person.submit(consent!, { decision: 'allow' }, { stopAt: 'urn:never' });

    const tokens = await pollToken(latch, device, authorization.device_code);
    expect(tokens.status, tokens.text).toBe(200);
    const claims = decodeJwt(tokens.body.id_token as string);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
    const info = (await introspect(latch, tokens.body.access_token as string, device)).body;
    expect(info).toMatchObject({ active: true, sub: user.sub, acr: MFA });
    expect(info.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
  });

  it('registers default_acr_values through the admin API, only with supported values', async () => {
    const admin = await machineAdmin(latch);
    const api = adminApi(latch, admin.token);
    const bad = await api('PATCH', `/clients/${app.clientId}`, { default_acr_values: ['urn:example:gold'] });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.text).toContain('default_acr_values');
    const created = await api('POST', '/clients', { client_name: 'HR', latch_client_kind: 'web', redirect_uris: ['https://hr.example/cb'], default_acr_values: [MFA] });
    expect(created.status, created.text).toBe(201);
    expect(created.body.default_acr_values).toEqual([MFA]);
    const cleared = await api('PATCH', `/clients/${created.body.client_id}`, { default_acr_values: [] });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.default_acr_values).toBeUndefined();
  });

  it('lists the acr values and amr in discovery', async () => {
    const res = await getJson(`${latch.issuer}/.well-known/openid-configuration`);
    expect(res.body.acr_values_supported).toEqual(['urn:latch:acr:pwd', 'urn:latch:acr:mfa', 'phr']);
    expect(res.body.claims_supported).toEqual(expect.arrayContaining(['amr', 'acr']));
    expect(csp).toEqual([]);
  });
});
