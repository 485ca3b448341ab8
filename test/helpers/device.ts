/**
 * The person's side of the device flow (RFC 8628 §3.3) in the fetch Browser: open the verification URI, enter the
 * code, log in when asked, and approve or deny on the confirmation page.
 */
import { expect } from 'vitest';
import { type Browser, type Page, findConsentForm, findLoginForm, parseForms } from './browser.js';
import { type HttpResult, postForm, tokenRequest } from './oauth.js';
import type { TestClient, TestServer, TestUser } from './server.js';
import type { DeviceAuthorizationResponse } from '../../src/core/device/device-authorization.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEVICE_SCOPE = 'openid profile email offline_access';

/** RFC 8628 §3.2 device authorization response. */
export type DeviceAuthorization = DeviceAuthorizationResponse;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function deviceAuthorizationRequest(server: TestServer, c: TestClient, body: Record<string, string> = { scope: DEVICE_SCOPE }): Promise<HttpResult> {
  return postForm(`${server.issuer}/device_authorization`, body, c);
}

/** Starts a device authorization (as the device) and returns the response. */
export async function requestDeviceAuthorization(server: TestServer, c: TestClient, scope = DEVICE_SCOPE): Promise<DeviceAuthorization> {
  const res = await deviceAuthorizationRequest(server, c, { scope });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** One poll of the token endpoint with the device code (RFC 8628 §3.4). */
export function pollToken(server: TestServer, c: TestClient, deviceCode: string): Promise<HttpResult> {
  return tokenRequest(server, { grant_type: DEVICE_GRANT, device_code: deviceCode }, c);
}

export interface VerificationResult {
  /** The last page: "You can return to your device", "Access denied", or an error page. */
  page: Page;
  sawLogin: boolean;
  /** The confirmation page, when one was shown. */
  confirm?: Page;
}

/** The form on the code entry page (the one with a user_code field). */
export function findUserCodeForm(page: Page) {
  return parseForms(page.body, page.url).find((f) => f.inputs.some((i) => i.name === 'user_code'));
}

async function follow(browser: Browser, result: Awaited<ReturnType<Browser['navigate']>>): Promise<Page> {
  if (result.kind !== 'page') throw new Error(`unexpected redirect out of Latch to ${result.url.href}`);
  return result.page;
}

/**
 * Opens `url` (verification_uri or verification_uri_complete), submits `userCode` (or the prefilled value), logs in as
 * `user` if a login form appears, and presses `decision` on the confirmation page.
 */
export async function verifyDevice(
  browser: Browser,
  url: string,
  options: { user?: TestUser; userCode?: string; decision?: 'allow' | 'deny' },
): Promise<VerificationResult> {
  const stopAt = 'urn:never';
  let page = await follow(browser, await browser.navigate(url, { stopAt }));
  expect(page.status, page.body.slice(0, 500)).toBe(200);
  const entry = findUserCodeForm(page);
  if (!entry) throw new Error(`no code entry form:\n${page.body.slice(0, 1000)}`);
  const fields: Record<string, string> = options.userCode !== undefined ? { user_code: options.userCode } : {};
  if (options.userCode === undefined) {
    const prefilled = entry.inputs.find((i) => i.name === 'user_code')?.value ?? '';
    fields.user_code = prefilled;
  }
  page = await follow(browser, await browser.submit(entry, fields, { stopAt }));
  let sawLogin = false;
  const login = findLoginForm(page);
  if (login) {
    if (!options.user) return { page, sawLogin: true };
    sawLogin = true;
    page = await follow(browser, await browser.submit(login, { email: options.user.email, password: options.user.password }, { stopAt }));
  }
  const consent = findConsentForm(page);
  if (!consent || !options.decision) return { page, sawLogin };
  const confirm = page;
  page = await follow(browser, await browser.submit(consent, { decision: options.decision }, { stopAt }));
  return { page, sawLogin, confirm };
}
