/**
 * The audit trail from the protocol side (issue 12): sign-ins (success and failure, with user, client and address),
 * throttling, consents, device decisions, logouts, token refusals and revocations, and the operators' changes.
 * Never a password, secret, token or code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableUser, grantRole } from '../../src/admin/users.js';
import type { EventRecord } from '../../src/storage/types.js';
import { Browser, postLogin } from '../helpers/browser.js';
import { pollToken, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import { FULL_SCOPE, obtainCode, obtainTokens, openLoginPage, revoke, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const ADDRESS = '203.0.113.50';

let ts: TestServer;
let web: TestClient;
let tv: TestClient;
let user: TestUser;
/** Every value that must never reach an event. */
const secrets: string[] = [];

beforeAll(async () => {
  // The test's requests come through a "proxy" on loopback that says who the client is.
  ts = await startTestServer({ trustProxy: '127.0.0.1', throttleMaxFailures: 3, throttleMaxDelay: 0.05 });
  web = await ts.client({ kind: 'web' });
  tv = await ts.client({ kind: 'device' });
  user = await ts.user();
  secrets.push(user.password, web.clientSecret!);
});
afterAll(async () => {
  await ts?.close();
});

const browser = () => new Browser({ headers: { 'x-forwarded-for': ADDRESS } });
const secret = () => ({ clientId: web.clientId, clientSecret: web.clientSecret! });

async function eventsOf(type: string, filter: { sub?: string; clientId?: string } = {}): Promise<EventRecord[]> {
  return (await ts.latch.store.events.page({ type, ...filter }, { limit: 100 })).items;
}

describe('sign-in events', () => {
  it('a success names the person, the client and the address', async () => {
    const { code, tokens } = await obtainTokens(ts, browser(), web, user, { scope: FULL_SCOPE });
    secrets.push(code.code, tokens.access_token, tokens.refresh_token, tokens.id_token);
    const [event] = await eventsOf('login.succeeded', { sub: user.sub });
    expect(event).toMatchObject({ sub: user.sub, clientId: web.clientId, address: ADDRESS, actorSub: user.sub });
    expect(event?.data.amr).toEqual(['pwd']);
  });

  it('a wrong password names the person (known email); an unknown email names nobody and is not kept', async () => {
    const b = browser();
    const page = await openLoginPage(ts, web, b);
    const wrongPassword = 'Tr0ub4dor&3-wrong';
    secrets.push(wrongPassword);
    expect((await postLogin(b, page, user.email, wrongPassword)).status).toBe(401);
    const failed = await eventsOf('login.failed', { sub: user.sub });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ sub: user.sub, clientId: web.clientId, address: ADDRESS, actorSub: null, data: { reason: 'wrong_password' } });

    const typedEmail = 'someone-unknown@example.test';
    const typedPassword = 'a password typed as email?';
    secrets.push(typedEmail, typedPassword);
    const again = await openLoginPage(ts, web, b);
    expect((await postLogin(b, again, typedEmail, typedPassword)).status).toBe(401);
    const unknown = (await eventsOf('login.failed')).find((e) => e.data.reason === 'unknown_account');
    expect(unknown).toMatchObject({ sub: null, clientId: web.clientId, address: ADDRESS });
  });

  it('throttling is recorded', async () => {
    const victim = await ts.user();
    const b = browser();
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) {
      const page = await openLoginPage(ts, web, b);
      status = (await postLogin(b, page, victim.email, 'wrong wrong wrong')).status;
    }
    expect(status).toBe(429);
    const [event] = await eventsOf('login.throttled', { clientId: web.clientId });
    expect(event).toMatchObject({ address: ADDRESS, clientId: web.clientId });
    expect(event?.data.retry_after).toEqual(expect.any(Number));
  });

  it('a disabled account\'s sign-in is a failure with its reason', async () => {
    const gone = await ts.user();
    await disableUser(ts.latch.store, gone.sub);
    const b = browser();
    const page = await openLoginPage(ts, web, b);
    expect((await postLogin(b, page, gone.email, gone.password)).status).toBe(403);
    expect((await eventsOf('login.failed', { sub: gone.sub }))[0]?.data).toEqual({ reason: 'account_disabled', via: 'login_page' });
  });
});

describe('consent, device, logout events', () => {
  it('consent granted and denied', async () => {
    const person = await ts.user();
    await obtainCode(ts, browser(), web, person, { scope: 'openid email', decision: 'deny' }).catch(() => undefined);
    const denied = await eventsOf('consent.denied', { sub: person.sub });
    expect(denied[0]).toMatchObject({ clientId: web.clientId, address: ADDRESS, data: { scopes: ['openid', 'email'] } });
    await obtainCode(ts, browser(), web, person, { scope: 'openid email' });
    expect((await eventsOf('consent.granted', { sub: person.sub }))[0]).toMatchObject({ clientId: web.clientId, address: ADDRESS });
  });

  it('device approved and denied; polling while pending is not a failure', async () => {
    const person = await ts.user();
    for (const decision of ['allow', 'deny'] as const) {
      const started = await requestDeviceAuthorization(ts, tv);
      secrets.push(started.device_code, started.user_code);
      const pending = await pollToken(ts, tv, started.device_code);
      expect(pending.body.error).toBe('authorization_pending');
      await verifyDevice(browser(), started.verification_uri_complete!, { user: person, decision });
    }
    expect((await eventsOf('device.approved', { sub: person.sub }))[0]).toMatchObject({ clientId: tv.clientId, address: ADDRESS });
    expect((await eventsOf('device.denied', { sub: person.sub }))[0]).toMatchObject({ clientId: tv.clientId, address: ADDRESS });
    expect((await eventsOf('token.failed', { clientId: tv.clientId })).map((e) => e.data.error)).not.toContain('authorization_pending');
  });

  it('logout', async () => {
    const person = await ts.user();
    const b = browser();
    const { tokens } = await obtainTokens(ts, b, web, person, { scope: 'openid' });
    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('id_token_hint', tokens.id_token);
    url.searchParams.set('post_logout_redirect_uri', web.postLogoutRedirectUri!);
    expect((await b.request(url)).status).toBe(303);
    const [event] = await eventsOf('logout', { sub: person.sub });
    expect(event).toMatchObject({ sub: person.sub, clientId: web.clientId, address: ADDRESS });
    expect(typeof event?.data.sid).toBe('string');
  });
});

describe('token events', () => {
  it('a refused token request names the client, grant type and error', async () => {
    const res = await tokenRequest(ts, { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: web.redirectUri }, secret(), { 'x-forwarded-for': ADDRESS });
    expect(res.body.error).toBe('invalid_grant');
    const failed = await eventsOf('token.failed', { clientId: web.clientId });
    expect(failed[0]).toMatchObject({ clientId: web.clientId, actorClientId: web.clientId, address: ADDRESS, data: { grant_type: 'authorization_code', error: 'invalid_grant' } });

    const wrongSecret = 'not the secret of this client';
    secrets.push(wrongSecret);
    const bad = await tokenRequest(ts, { grant_type: 'client_credentials' }, { clientId: web.clientId, clientSecret: wrongSecret });
    expect(bad.status).toBe(401);
    const unauthenticated = (await eventsOf('token.failed')).find((e) => e.data.error === 'invalid_client');
    expect(unauthenticated).toMatchObject({ clientId: null, data: { grant_type: 'client_credentials', error: 'invalid_client' } });
  });

  it('revoking a refresh token at /revoke records the grant revoked', async () => {
    const person = await ts.user();
    const { tokens } = await obtainTokens(ts, browser(), web, person, { scope: FULL_SCOPE });
    secrets.push(tokens.access_token, tokens.refresh_token);
    expect((await revoke(ts, tokens.refresh_token, secret())).status).toBe(200);
    const [event] = await eventsOf('grant.revoked', { sub: person.sub });
    expect(event).toMatchObject({ sub: person.sub, clientId: web.clientId, actorClientId: web.clientId, data: { via: 'revocation_endpoint' } });
    expect(typeof event?.data.grant_id).toBe('string');
  });
});

describe('operators\' changes and what no event holds', () => {
  it('a role given by an operator names who, from where', async () => {
    const person = await ts.user();
    await grantRole(ts.latch.store, person.sub, 'admin', { sub: user.sub, clientId: 'latch-console', address: '198.51.100.4' });
    expect((await eventsOf('user.role_granted', { sub: person.sub }))[0]).toMatchObject({
      actorSub: user.sub,
      actorClientId: 'latch-console',
      address: '198.51.100.4',
      data: { role: 'admin' },
    });
  });

  it('no event contains a password, a client secret, a token, a code or a typed unknown email', async () => {
    const all = (await ts.latch.store.events.page({}, { limit: 1000 })).items;
    expect(all.length).toBeGreaterThan(10);
    const text = JSON.stringify(all);
    for (const value of secrets) expect(text, `an event contains ${value.slice(0, 8)}…`).not.toContain(value);
  });
});
