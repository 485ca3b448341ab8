/**
 * What the second-factor flow tests share: a Latch on `localhost` (WebAuthn needs a host name), a sign-in in
 * Chromium that stops at the client's redirect URI on Latch itself, and TOTP codes computed like an app would.
 */
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { authorizeUrl, pkcePair, random, redeemCode } from '../helpers/oauth.js';
import { freePort, PASSWORD, startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

type Overrides = NonNullable<Parameters<typeof startTestServer>[0]>;

export async function startLocalhostLatch(overrides: Overrides = {}): Promise<TestServer> {
  const port = await freePort();
  return startTestServer({ port, host: '127.0.0.1', issuer: `http://localhost:${port}`, ...overrides });
}

/** A code of the secret's time step `offset` steps from now (RFC 6238), as an authenticator app shows it. */
export function totpCode(secret: string, offset = 0): string {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

export interface Started {
  verifier: string;
  redirectUri: string;
}

/** Opens /authorize for `client` (code flow, PKCE) with `extra` parameters. */
export async function startSignIn(page: Page, latch: TestServer, client: TestClient, extra: Record<string, string> = {}): Promise<Started> {
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(latch, {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state: random(),
    nonce: random(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  await page.goto(url.href, { waitUntil: 'load' });
  return { verifier, redirectUri: client.redirectUri };
}

export async function typePassword(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').first().click()]);
}

/** Types a code into the code form on the page and submits it. */
export async function typeCode(page: Page, code: string, selector = '#totp-code'): Promise<void> {
  await page.locator(selector).fill(code);
  await Promise.all([page.waitForNavigation(), page.locator(selector).locator('xpath=ancestor::form').locator('button[type="submit"]').click()]);
}

/** Allows on the consent page if it is shown, waits for the redirect URI, redeems the code: the ID token's claims. */
export async function finishSignIn(page: Page, latch: TestServer, client: TestClient, started: Started): Promise<Record<string, unknown>> {
  const redirect = new URL(started.redirectUri);
  const allow = page.getByRole('button', { name: /allow/i });
  await Promise.race([page.waitForURL((u) => u.pathname === redirect.pathname, { timeout: 15_000 }), allow.waitFor({ timeout: 15_000 })]).catch(() => undefined);
  if (new URL(page.url()).pathname !== redirect.pathname && (await allow.count()) > 0) await allow.click();
  await page.waitForURL((u) => u.pathname === redirect.pathname, { timeout: 15_000 }).catch(async (err: Error) => {
    const h1 = await page.locator('h1').first().textContent().catch(() => '');
    const alert = await page.locator('[role="alert"]').first().textContent({ timeout: 500 }).catch(() => '');
    throw new Error(`sign-in did not reach the app: at ${page.url()} "${h1}" ${alert ?? ''} (${err.message.split('\n')[0]})`);
  });
  const code = new URL(page.url()).searchParams.get('code');
  expect(code, page.url()).toBeTruthy();
  const res = await redeemCode(latch, client.clientSecret ? { clientId: client.clientId, clientSecret: client.clientSecret } : { clientId: client.clientId }, {
    code: code as string,
    redirectUri: started.redirectUri,
    verifier: started.verifier,
  });
  expect(res.status, res.text).toBe(200);
  return decodeJwt(res.body.id_token as string) as Record<string, unknown>;
}

/** On the enrolment page: reads the TOTP secret shown, confirms it with its first code; returns the secret and recovery codes. */
export async function enrolTotp(page: Page): Promise<{ secret: string; codes: string[]; used: string }> {
  const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  const used = totpCode(secret);
  await typeCode(page, used);
  await page.locator('#recovery-codes').waitFor();
  const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  return { secret, codes, used };
}
