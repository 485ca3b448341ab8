/**
 * The device flow's second factor (RFC 8628 §3.3 with issue 13's policy) through the fetch Browser: LATCH_MFA=enrolled
 * asks a person who set up a factor on the device pages too (and nobody else); enrolment during a device sign-in; and
 * the protections of the factor routes for a device interaction (no decision before the factor, the user code, the
 * browser binding and the CSRF token are checked, a wrong code is answered on the same page).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findConsentForm, type Page, type ParsedForm, parseForms } from '../helpers/browser.js';
import { type DeviceAuthorization, pollToken, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';
import { totpCode } from './step-up-helpers.js';

const MFA = 'urn:latch:acr:mfa';
const stopAt = { stopAt: 'urn:never' };

let latch: TestServer;
let tv: TestClient;
let strict: TestClient;

beforeAll(async () => {
  latch = await startTestServer({ mfa: 'enrolled', deviceCodeInterval: 1 });
  tv = await latch.client({ kind: 'device', name: 'Living room TV' });
  strict = await latch.client({ kind: 'device', name: 'Payroll kiosk' });
  const record = (await latch.latch.store.clients.find(strict.clientId))!;
  await latch.latch.store.clients.update(strict.clientId, { metadata: { ...record.metadata, default_acr_values: [MFA] } });
});

afterAll(async () => {
  await latch?.close();
});

async function pageOf(result: Awaited<ReturnType<Browser['navigate']>>): Promise<Page> {
  if (result.kind !== 'page') throw new Error(`left Latch for ${result.url.href}`);
  return result.page;
}

function formTo(page: Page, path: string): ParsedForm {
  const form = parseForms(page.body, page.url).find((f) => f.action.pathname.endsWith(path));
  if (!form) throw new Error(`no form to ${path} on ${page.url.href} (${page.status}):\n${page.body.slice(0, 1500)}`);
  return form;
}

/** Enters the code and the password: the page after the password (the factor page, or the confirmation). */
async function signInOnDevice(person: Browser, client: TestClient, user: TestUser): Promise<{ authorization: DeviceAuthorization; page: Page }> {
  const authorization = await requestDeviceAuthorization(latch, client);
  const result = await verifyDevice(person, authorization.verification_uri_complete, { user });
  expect(result.sawLogin).toBe(true);
  return { authorization, page: result.page };
}

async function allowAndPoll(person: Browser, page: Page, client: TestClient, authorization: DeviceAuthorization) {
  const consent = findConsentForm(page);
  expect(consent, page.body.slice(0, 1500)).toBeDefined();
  const done = await pageOf(await person.submit(consent!, { decision: 'allow' }, stopAt));
  expect(done.status).toBe(200);
  const tokens = await pollToken(latch, client, authorization.device_code);
  expect(tokens.status, tokens.text).toBe(200);
  return decodeJwt(tokens.body.id_token as string);
}

/** A person who set up an authenticator app during a device sign-in for the strict client; returns the TOTP secret. */
async function enrolOnDevice(user: TestUser): Promise<string> {
  const person = new Browser();
  const { authorization, page } = await signInOnDevice(person, strict, user);
  expect(page.body).toContain('Set up a second step');
  const secret = /id="totp-secret"[^>]*>\s*([A-Z2-7]+=*)\s*</.exec(page.body)?.[1];
  expect(secret, page.body.slice(0, 2000)).toBeDefined();
  const enrol = formTo(page, '/factor/totp-enrol');
  // The factor routes are the authorize journey's; the device's user code rides along, as on every device page.
  expect(enrol.action.pathname).toMatch(/^\/interaction\/[A-Za-z0-9_-]+\/factor\/totp-enrol$/);
  expect(enrol.action.searchParams.get('user_code')).toBe(authorization.user_code);
  const codes = await pageOf(await person.submit(enrol, { code: totpCode(secret!) }, stopAt));
  expect(codes.status, codes.body.slice(0, 1500)).toBe(200);
  expect(codes.body.match(/<li><code>/g)).toHaveLength(10);
  // "Continue" leads back to the device page of this code, which now asks to confirm it.
  const next = /<a class="button button-primary" href="([^"]+)"/.exec(codes.body)?.[1]?.replace(/&amp;/g, '&');
  expect(next).toMatch(/^\/device\/[A-Za-z0-9_-]+\?user_code=/);
  const confirm = await pageOf(await person.navigate(new URL(next!, latch.issuer), stopAt));
  const claims = await allowAndPoll(person, confirm, strict, authorization);
  expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  expect(claims.acr).toBe(MFA);
  return secret!;
}

describe('LATCH_MFA=enrolled on the device pages', () => {
  it('asks nobody without a factor; asks a person who set one up (enrolled during a device sign-in) at every device sign-in', async () => {
    const user = await latch.user();
    let person = new Browser();
    let signedIn = await signInOnDevice(person, tv, user);
    let claims = await allowAndPoll(person, signedIn.page, tv, signedIn.authorization);
    expect(claims.amr).toEqual(['pwd']);

    const secret = await enrolOnDevice(user);

    // A new browser (no session): the TV's client asks nothing itself, but the person has a factor now.
    person = new Browser();
    signedIn = await signInOnDevice(person, tv, user);
    expect(signedIn.page.body).toContain('Confirm it’s you');
    expect(findConsentForm(signedIn.page)).toBeUndefined();
    const answered = await pageOf(await person.submit(formTo(signedIn.page, '/factor/totp'), { code: totpCode(secret, 1) }, stopAt));
    claims = await allowAndPoll(person, answered, tv, signedIn.authorization);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
  });
});

describe('protections of the device second factor', () => {
  let user: TestUser;
  let secret: string;

  beforeAll(async () => {
    user = await latch.user();
    secret = await enrolOnDevice(user);
  });

  it('approves nothing before the factor: a decision posted anyway goes back to the factor page', async () => {
    const person = new Browser();
    const { authorization, page } = await signInOnDevice(person, strict, user);
    const factor = formTo(page, '/factor/totp');
    const csrf = factor.inputs.find((i) => i.name === 'csrf')!.value;
    const interaction = factor.action.pathname.split('/')[2];
    const decision = new URL(`/device/${interaction}/decision?user_code=${encodeURIComponent(authorization.user_code)}`, latch.issuer);
    const posted = await person.request(decision, { method: 'POST', body: new URLSearchParams({ csrf, decision: 'allow' }) });
    expect(posted.status).toBe(303);
    expect(posted.location?.pathname).toBe(`/device/${interaction}`);
    expect((await pollToken(latch, strict, authorization.device_code)).body.error).toBe('authorization_pending');
    const again = await pageOf(await person.navigate(posted.location!, stopAt));
    expect(again.body).toContain('Confirm it’s you');
  });

  it('answers a wrong code on the same page (401), still posting to the device interaction', async () => {
    const person = new Browser();
    const { authorization, page } = await signInOnDevice(person, strict, user);
    const wrong = await pageOf(await person.submit(formTo(page, '/factor/totp'), { code: '000000' }, stopAt));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('role="alert"');
    expect(formTo(wrong, '/factor/totp').action.searchParams.get('user_code')).toBe(authorization.user_code);
    expect((await pollToken(latch, strict, authorization.device_code)).body.error).toBe('authorization_pending');
  });

  it('refuses the factor form without its CSRF token, from another browser, and with another user code; never a 500', async () => {
    const person = new Browser();
    const { authorization, page } = await signInOnDevice(person, strict, user);
    const factor = formTo(page, '/factor/totp');
    const code = totpCode(secret, 1);

    const noCsrf = await person.request(factor.action, { method: 'POST', body: new URLSearchParams({ code }) });
    expect(noCsrf.status).toBe(403);

    const stranger = new Browser();
    const elsewhere = await stranger.request(factor.action, { method: 'POST', body: new URLSearchParams({ csrf: 'x', code }) });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toContain('expired or was opened in another browser');

    // RFC 8628 §3.3: the user code in the URL must be this device code's; another one ends the interaction.
    const other = await requestDeviceAuthorization(latch, strict);
    const swapped = new URL(factor.action);
    swapped.searchParams.set('user_code', other.user_code);
    const csrf = factor.inputs.find((i) => i.name === 'csrf')!.value;
    const wrongCode = await person.request(swapped, { method: 'POST', body: new URLSearchParams({ csrf, code }) });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body).toContain('expired or was already used');
    const after = await person.request(factor.action, { method: 'POST', body: new URLSearchParams({ csrf, code }) });
    expect(after.status).toBe(400);
    expect((await pollToken(latch, strict, authorization.device_code)).body.error).toBe('authorization_pending');
    expect((await pollToken(latch, strict, other.device_code)).body.error).toBe('authorization_pending');
  });

  it('the passkey calls accept the device interaction of their browser only (enrolment options for the person, 400 elsewhere)', async () => {
    const fresh = await latch.user();
    const person = new Browser();
    const { page } = await signInOnDevice(person, strict, fresh);
    expect(page.body).toContain('Set up a second step');
    const options = /data-options="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1];
    expect(options).toMatch(/^\/interaction\/[A-Za-z0-9_-]+\/passkey\/register-options\?user_code=/);
    const call = (cookie: string | undefined) =>
      fetch(new URL(options!, latch.issuer), { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ csrf, mode: 'enrol' }) });
    expect((await call(undefined)).status).toBe(400);
    const cookies = Object.entries(person.cookies(new URL(options!, latch.issuer))).map(([k, v]) => `${k}=${v}`).join('; ');
    const mine = await call(cookies);
    expect(mine.status).toBe(200);
    const body = (await mine.json()) as { options: { challenge: string; user: { name: string } } };
    expect(body.options.challenge).toBeTruthy();
    expect(body.options.user.name).toBe(fresh.email);
  });
});

describe('the federation routes of a device interaction', () => {
  it('resume it with its user code only (another code ends it), never a 500', async () => {
    const person = new Browser();
    const authorization = await requestDeviceAuthorization(latch, tv);
    const login = await verifyDevice(person, authorization.verification_uri_complete, {});
    const csrf = /name="csrf" value="([^"]+)"/.exec(login.page.body)?.[1];
    const interaction = login.page.url.pathname.split('/')[2];
    const start = (userCode: string) =>
      person.request(new URL(`/interaction/${interaction}/federation/nowhere?user_code=${encodeURIComponent(userCode)}`, latch.issuer), { method: 'POST', body: new URLSearchParams({ csrf: csrf! }) });
    // The interaction resumes (then the connection is unknown: 404), as an authorize interaction would.
    const unknown = await start(authorization.user_code);
    expect(unknown.status, unknown.body.slice(0, 500)).toBe(404);
    const other = await requestDeviceAuthorization(latch, tv);
    const wrong = await start(other.user_code);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('expired or was already used');
    expect((await start(authorization.user_code)).status).toBe(400);
  });
});
