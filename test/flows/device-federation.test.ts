import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageWithCspWatch, screenshotDir } from '../helpers/chromium.js';
import { type DeviceAuthorization, pollToken, requestDeviceAuthorization } from '../helpers/device.js';
import { PASSWORD, type TestClient, type TestServer } from '../helpers/server.js';
import { type FederationSetup, type OidcProviderUpstream, startFederation } from './federation-upstreams.js';

/**
 * "Continue with <provider>" on the device login page (issue 13, RFC 8628 §3.3) in real Chromium, against the two
 * upstreams of the federation tests on 127.0.0.1: the person signs in upstream, comes back to the device page of their
 * code and approves it; linking an existing account asks for its password; an upstream denial leaves the device
 * pending and the person on the login page. Screenshots in test-output/screenshots/device-federation/.
 */
describe.skipIf(!chromiumAvailable)('device sign-in through another provider in Chromium', { timeout: 60_000 }, () => {
  let setup: FederationSetup;
  let latch: TestServer;
  let upstream: TestServer;
  let op: OidcProviderUpstream;
  let tv: TestClient;
  let browser: Browser;
  const shots = screenshotDir('device-federation');
  const csp: string[] = [];

  beforeAll(async () => {
    setup = await startFederation();
    ({ latch, upstream, op } = setup);
    tv = await latch.client({ kind: 'device', name: 'Living room TV' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await setup?.close();
  });

  /** The person opens verification_uri_complete and confirms the prefilled code: the device login page. */
  async function openDevice(page: Page): Promise<DeviceAuthorization> {
    const authorization = await requestDeviceAuthorization(latch, tv);
    await page.goto(authorization.verification_uri_complete, { waitUntil: 'load' });
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
    return authorization;
  }

  async function atUpstreamLatch(page: Page, email: string, decision: 'allow' | 'deny') {
    await page.waitForURL((u) => u.host === new URL(upstream.issuer).host);
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').first().click();
    await page.getByRole('button', { name: decision === 'allow' ? /allow/i : /deny/i }).click();
  }

  async function atOidcProvider(page: Page, login: string) {
    await page.waitForURL((u) => u.host === new URL(op.issuer).host);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.host === new URL(op.issuer).host && /consent|interaction/.test(u.pathname));
    await page.locator('button[type="submit"]').click();
  }

  /** Back on the device page of this code: allow, then the device polls. */
  async function allow(page: Page, authorization: DeviceAuthorization, shot?: string) {
    await page.waitForURL((u) => u.host === new URL(latch.issuer).host && u.pathname.startsWith('/device/'));
    const button = page.getByRole('button', { name: /allow/i });
    await button.waitFor({ timeout: 10_000 });
    expect(await page.textContent('body')).toContain(authorization.user_code);
    if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
    await Promise.all([page.waitForNavigation(), button.click()]);
    const tokens = await pollToken(latch, tv, authorization.device_code);
    expect(tokens.status, tokens.text).toBe(200);
    return decodeJwt(tokens.body.id_token as string);
  }

  it('signs in with the upstream from the device login page: the user is made just in time, the ID token says fed', async () => {
    const page = await pageWithCspWatch(browser, csp);
    const authorization = await openDevice(page);
    await page.getByRole('button', { name: 'Continue with OIDC Provider' }).waitFor();
    expect(await page.getByRole('button', { name: 'Continue with Upstream Latch' }).count()).toBe(1);
    await page.screenshot({ path: join(shots, '1-device-login-with-providers.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue with OIDC Provider' }).click();
    await atOidcProvider(page, 'ada');
    const claims = await allow(page, authorization, '2-device-confirm-after-upstream.png');
    expect(claims.amr).toEqual(['fed']);
    const user = await latch.latch.store.users.findByEmail('ada@op.test');
    expect(user?.sub).toBe(claims.sub);
    expect((await latch.latch.store.identities.listBySub(user!.sub)).map((i) => i.connectionId)).toEqual(['op']);
    await page.context().close();
  });

  it('links an existing account only after its password, then goes on to the device confirmation', async () => {
    const bob = (await latch.latch.store.users.findByEmail('bob@op.test'))!;
    const page = await pageWithCspWatch(browser, csp);
    const authorization = await openDevice(page);
    await page.getByRole('button', { name: 'Continue with OIDC Provider' }).click();
    await atOidcProvider(page, 'bob');
    await page.getByRole('heading', { name: 'Link your account' }).waitFor();
    await page.screenshot({ path: join(shots, '3-device-link-proof.png'), fullPage: true });
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('form button[type="submit"]').click();
    const claims = await allow(page, authorization);
    expect(claims.sub).toBe(bob.sub);
    expect((await latch.latch.store.identities.listBySub(bob.sub)).map((i) => [i.connectionId, i.upstreamSub])).toEqual([['op', 'bob']]);
    await page.context().close();
  });

  it('a denial at the upstream leaves the person on the device login page and the device pending', async () => {
    const page = await pageWithCspWatch(browser, csp);
    const authorization = await openDevice(page);
    await page.getByRole('button', { name: 'Continue with Upstream Latch' }).click();
    await atUpstreamLatch(page, 'hedy@up.test', 'deny');
    await page.waitForURL((u) => u.host === new URL(latch.issuer).host);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Upstream Latch did not sign you in');
    expect(await page.locator('input[name="password"]').count()).toBe(1);
    await page.screenshot({ path: join(shots, '4-device-upstream-denied.png'), fullPage: true });
    expect((await pollToken(latch, tv, authorization.device_code)).body.error).toBe('authorization_pending');
    expect(await latch.latch.store.users.findByEmail('hedy@up.test')).toBeUndefined();
    await page.context().close();
    expect(csp).toEqual([]);
  });
});
