/**
 * OpenID Connect Back-Channel Logout 1.0 over real HTTP: relying parties (oauth4webapi and the raw protocol) sign a
 * person in, the session ends in each of the ways it can (RP-initiated logout, the account page, the admin API's
 * session end, user disable and user delete), and every client of that session with a backchannel_logout_uri gets
 * a logout token at a real receiver, which verifies it with jose against Latch's JWKS. Nobody else gets one.
 */
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from '../../src/cli/test-helpers.js';
import type { ClientMetadata } from '../../src/storage/types.js';
import { adminApi, machineAdmin } from '../helpers/admin.js';
import { Browser, findLoginForm, hiddenFields, parseForms } from '../helpers/browser.js';
import { authorizeUrl, getJson, obtainTokens } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';
import { LogoutReceiver, verifyLogoutToken } from './backchannel-logout-receiver.js';

let ts: TestServer;
let receiver: LogoutReceiver;
let admin: ReturnType<typeof adminApi>;

beforeAll(async () => {
  ts = await startTestServer();
  receiver = await new LogoutReceiver().start();
  admin = adminApi(ts, (await machineAdmin(ts)).token);
});

afterAll(async () => {
  await ts?.close();
  await receiver?.close();
});

interface Rp extends TestClient {
  uri?: string;
}

/** A web client; with `name`, its backchannel_logout_uri is the receiver's endpoint of that name. */
async function rp(name: string | undefined, metadata: Partial<ClientMetadata> = {}): Promise<Rp> {
  const c: Rp = await ts.client({ kind: 'web' });
  const record = (await ts.latch.store.clients.find(c.clientId))!;
  const uri = name === undefined ? undefined : receiver.endpoint(`${name}-${c.clientId}`);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record.metadata, ...(uri && { backchannel_logout_uri: uri }), ...metadata } });
  if (uri) c.uri = uri;
  return c;
}

/** Signs `user` in to `client` in `browser` (code flow); the ID token's claims. */
async function signIn(browser: Browser, client: TestClient, user: TestUser): Promise<{ sid: string; sub: string; idToken: string }> {
  const { tokens } = await obtainTokens(ts, browser, client, user, { scope: 'openid' });
  const claims = decodeJwt(tokens.id_token as string);
  expect(claims.sid).toBeTypeOf('string');
  return { sid: claims.sid as string, sub: claims.sub!, idToken: tokens.id_token as string };
}

/** The same, with oauth4webapi as the relying party (its own checks of the ID token). */
async function signInWithOauth4webapi(browser: Browser, client: TestClient, user: TestUser): Promise<{ sid: string; sub: string; idToken: string }> {
  const issuer = new URL(ts.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
  const me: oauth.Client = { client_id: client.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = authorizeUrl(ts, {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const result = await browser.authorize(url, { stopAt: client.redirectUri, credentials: { email: user.email, password: user.password }, decision: 'allow' });
  const params = oauth.validateAuthResponse(as, me, result.callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, me, oauth.ClientSecretBasic(client.clientSecret!), params, client.redirectUri, verifier, {
    [oauth.allowInsecureRequests]: true,
  });
  const tokens = await oauth.processAuthorizationCodeResponse(as, me, response, { expectedNonce: nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  expect(claims.sid).toBeTypeOf('string');
  return { sid: claims.sid as string, sub: claims.sub, idToken: tokens.id_token! };
}

async function expectToken(client: Rp, expected: { sub: string; sid?: string | null }, index = 0) {
  const received = await receiver.waitFor(client.uri!, index + 1);
  const got = received[index]!;
  expect(got.contentType).toMatch(/^application\/x-www-form-urlencoded/);
  const claims = await verifyLogoutToken(ts.issuer, got.token, client.clientId);
  expect(claims.sub).toBe(expected.sub);
  if (expected.sid === null) expect(claims).not.toHaveProperty('sid');
  else if (expected.sid !== undefined) expect(claims.sid).toBe(expected.sid);
  return claims;
}

/** Long enough for a delivery that should not happen to have happened. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

async function eventsOf(type: string, clientId: string) {
  return (await ts.latch.store.events.page({ type, clientId }, { limit: 50 })).items;
}

describe('discovery', () => {
  it('advertises back-channel logout with session support', async () => {
    const res = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
    expect(res.body.backchannel_logout_supported).toBe(true);
    expect(res.body.backchannel_logout_session_supported).toBe(true);
    expect(res.body.frontchannel_logout_supported).toBe(true);
    expect(res.body.frontchannel_logout_session_supported).toBe(true);
  });
});

describe('RP-initiated logout', () => {
  it('tells every client of the session, and no client of another session', async () => {
    const user = await ts.user();
    const stranger = await ts.user();
    const a = await rp('a', { backchannel_logout_session_required: true });
    const b = await rp('b');
    const withoutUri = await rp(undefined);
    const elsewhere = await rp('elsewhere');

    const browser = new Browser();
    const signedA = await signInWithOauth4webapi(browser, a, user);
    const signedB = await signIn(browser, b, user);
    await signIn(browser, withoutUri, user);
    expect(signedB.sid).toBe(signedA.sid);
    // The same person in another browser, and another person with the same client: other sessions.
    const second = await signIn(new Browser(), elsewhere, user);
    expect(second.sid).not.toBe(signedA.sid);
    await signIn(new Browser(), a, stranger);

    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('id_token_hint', signedA.idToken);
    url.searchParams.set('post_logout_redirect_uri', a.postLogoutRedirectUri!);
    const answer = await browser.request(url);
    expect(answer.status).toBe(303);

    await expectToken(a, { sub: user.sub, sid: signedA.sid });
    await expectToken(b, { sub: user.sub, sid: signedA.sid });
    await settle();
    // One token each: the stranger's session with client a and the person's other session are not over.
    expect(receiver.for(a.uri!)).toHaveLength(1);
    expect(receiver.for(b.uri!)).toHaveLength(1);
    expect(receiver.for(elsewhere.uri!)).toHaveLength(0);
    expect(await eventsOf('logout.backchannel_delivered', a.clientId)).toHaveLength(1);
    expect(await eventsOf('logout.backchannel_delivered', withoutUri.clientId)).toHaveLength(0);
    expect(await eventsOf('logout.backchannel_failed', withoutUri.clientId)).toHaveLength(0);
    // Every logout token is a new one.
    const jtis = [...receiver.for(a.uri!), ...receiver.for(b.uri!)].map((r) => decodeJwt(r.token).jti);
    expect(new Set(jtis).size).toBe(2);
  });

  it('after the confirmation page too, and a logout without a session tells nobody', async () => {
    const user = await ts.user();
    const a = await rp('confirm');
    const browser = new Browser();
    const signed = await signIn(browser, a, user);
    const page = await browser.request(`${ts.issuer}/logout`);
    const form = parseForms(page.body, page.url).find((f) => f.action.pathname === '/logout/confirm')!;
    const yes = form.buttons.find((button) => button.value === 'yes')!;
    const done = await browser.request(form.action, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(hiddenFields(form)), [yes.name]: yes.value }) });
    expect(done.status).toBe(200);
    await expectToken(a, { sub: user.sub, sid: signed.sid });
    // The browser is signed out already: nothing more to tell.
    expect((await browser.request(`${ts.issuer}/logout`)).status).toBe(200);
    await settle();
    expect(receiver.for(a.uri!)).toHaveLength(1);
  });
});

describe('another person signing in on the same browser', () => {
  it('ends the first person\'s session, and its clients are told; a new sign-in of the same person is not a logout', async () => {
    const ada = await ts.user();
    const bob = await ts.user();
    const a = await rp('switch');
    const browser = new Browser();
    const first = await signIn(browser, a, ada);
    // prompt=login: the same person signing in again is no logout.
    const second = decodeJwt((await obtainTokens(ts, browser, a, ada, { scope: 'openid', extra: { prompt: 'login' } })).tokens.id_token).sid as string;
    await settle();
    expect(receiver.for(a.uri!)).toHaveLength(0);
    // Now Bob signs in on that browser.
    await obtainTokens(ts, browser, a, bob, { scope: 'openid', extra: { prompt: 'login' } });
    await expectToken(a, { sub: ada.sub, sid: second });
    await settle();
    expect(receiver.for(a.uri!)).toHaveLength(1);
    expect(first.sid).not.toBe(second);
  });
});

describe('the account page', () => {
  const nowhere = { stopAt: 'https://never.example.test/' };

  async function accountPage(browser: Browser, user: TestUser) {
    const first = await browser.navigate(`${ts.issuer}/account`, nowhere);
    if (first.kind !== 'page') throw new Error('expected a page');
    const login = findLoginForm(first.page);
    const account = login ? await browser.submit(login, { email: user.email, password: user.password }, nowhere) : first;
    if (account.kind !== 'page') throw new Error('expected the account page');
    return account;
  }

  it('ending another session of one\'s own tells that session\'s clients', async () => {
    const user = await ts.user();
    const a = await rp('account');
    const laptop = new Browser();
    const signed = await signIn(laptop, a, user);

    const phone = new Browser();
    const account = await accountPage(phone, user);
    const end = parseForms(account.page.body, account.page.url).find((f) => f.action.pathname === '/account/sessions/end' && hiddenFields(f).get('sid') === signed.sid);
    expect(end, account.page.body.slice(0, 400)).toBeDefined();
    const ended = await phone.submit(end!, {}, nowhere);
    expect(ended.kind).toBe('page');

    await expectToken(a, { sub: user.sub, sid: signed.sid });
  });

  it('a new password signs the other sessions out, and their clients are told; this browser\'s are not', async () => {
    const user = await ts.user();
    const a = await rp('password-elsewhere');
    const here = await rp('password-here');
    const laptop = await signIn(new Browser(), a, user);
    const phone = new Browser();
    await signIn(phone, here, user);
    const account = await accountPage(phone, user);
    const form = parseForms(account.page.body, account.page.url).find((f) => f.action.pathname === '/account/password')!;
    const changed = await phone.submit(form, { current_password: user.password, new_password: 'a brand new passphrase for ada' }, nowhere);
    expect(changed.kind).toBe('page');
    await expectToken(a, { sub: user.sub, sid: laptop.sid });
    await settle();
    expect(receiver.for(here.uri!)).toHaveLength(0);
  });
});

describe('the admin API', () => {
  it('DELETE /sessions/{sid} tells the clients of that session only', async () => {
    const user = await ts.user();
    const a = await rp('admin-one');
    const first = await signIn(new Browser(), a, user);
    const second = await signIn(new Browser(), a, user);
    expect((await admin('DELETE', `/sessions/${first.sid}`)).status).toBe(204);
    await expectToken(a, { sub: user.sub, sid: first.sid });
    await settle();
    expect(receiver.for(a.uri!)).toHaveLength(1);
    // And ending all of them tells about the other one.
    expect((await admin('DELETE', `/users/${user.sub}/sessions`)).body).toEqual({ ended: 1 });
    await expectToken(a, { sub: user.sub, sid: second.sid }, 1);
  });

  it('disabling a person tells the clients of each session, and by sub alone a client whose session is gone', async () => {
    const user = await ts.user();
    const a = await rp('disable-a', { backchannel_logout_session_required: true });
    const b = await rp('disable-b');
    const old = await rp('disable-old');
    const oldStrict = await rp('disable-old-strict', { backchannel_logout_session_required: true });
    const browser = new Browser();
    const signed = await signIn(browser, a, user);
    await signIn(browser, b, user);
    // A session that ended without a logout (as an expired one does): its clients are told when the person goes.
    const gone = await signIn(new Browser(), old, user);
    const goneStrict = await signIn(new Browser(), oldStrict, user);
    await ts.latch.store.sessions.deleteBySid(gone.sid);
    await ts.latch.store.sessions.deleteBySid(goneStrict.sid);

    const res = await admin('POST', `/users/${user.sub}/disable`);
    expect(res.status, res.text).toBe(200);
    await expectToken(a, { sub: user.sub, sid: signed.sid });
    await expectToken(b, { sub: user.sub, sid: signed.sid });
    await expectToken(old, { sub: user.sub, sid: null });
    await settle();
    // It needs a sid (backchannel_logout_session_required) and no session of it is known: no token it would refuse.
    expect(receiver.for(oldStrict.uri!)).toHaveLength(0);
    expect(receiver.for(a.uri!)).toHaveLength(1);
  });

  it('deleting a person tells the clients of their sessions', async () => {
    const user = await ts.user();
    const a = await rp('delete');
    const signed = await signIn(new Browser(), a, user);
    expect((await admin('DELETE', `/users/${user.sub}`)).status).toBe(204);
    await expectToken(a, { sub: user.sub, sid: signed.sid });
    // Recorded once the receiver has answered.
    await expect.poll(async () => (await eventsOf('logout.backchannel_delivered', a.clientId)).length).toBe(1);
    const events = await eventsOf('logout.backchannel_delivered', a.clientId);
    expect(events[0]).toMatchObject({ sub: user.sub, clientId: a.clientId, data: { sid: signed.sid, attempts: 1 } });
  });
});

describe('the CLI', () => {
  it('latch users disable tells the clients of the person\'s sessions before it exits', async () => {
    const user = await ts.user();
    const a = await rp('cli');
    const signed = await signIn(new Browser(), a, user);
    const env = { LATCH_DATA_DIR: ts.dataDir, LATCH_ISSUER: ts.issuer, LATCH_FETCH_ALLOW_PRIVATE: 'true', LATCH_LOG_LEVEL: 'silent' };
    const result = await runLatch(['users', 'disable', user.sub], { env });
    expectCode(result, 0);
    // Delivered before the command returned: no waiting here.
    expect(receiver.for(a.uri!)).toHaveLength(1);
    await expectToken(a, { sub: user.sub, sid: signed.sid });
  });
});
