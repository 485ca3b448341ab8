/**
 * Disabling a person (issue 12): they cannot sign in, their refresh tokens and opaque access tokens stop working,
 * introspection reports their JWT access tokens inactive, their sessions end; enabling lets them back in. And the
 * core's own checks, which hold even for a disabled person whose grants and sessions were somehow left alive.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { disableUser, enableUser } from '../../src/admin/users.js';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser, findConsentForm, findLoginForm, postLogin } from '../helpers/browser.js';
import { pollToken, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import {
  codeFlowUrl,
  expectTokenError,
  expectTokens,
  FULL_SCOPE,
  introspect,
  obtainCode,
  obtainTokens,
  redeemCode,
  tokenRequest,
  userinfo,
} from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const PHOTOS = 'https://photos.example';
const DISABLED = /This account is disabled/;

let ts: TestServer;
let web: TestClient;
let rs: TestClient;
let device: TestClient;
const operator = { sub: 'operator', clientId: null, address: '192.0.2.1' };
const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const backends = [
  { name: 'SQLite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];
let store: OpenedStore | undefined;

const secret = (c: TestClient) => ({ clientId: c.clientId, clientSecret: c.clientSecret! });

function passwordGrant(user: TestUser) {
  return tokenRequest(ts, { grant_type: 'password', username: user.email, password: user.password, scope: 'openid' }, secret(web));
}

/** The page a browser with this session gets for a new authorization request. */
async function nextAuthorize(browser: Browser) {
  const result = await browser.navigate(codeFlowUrl(ts, web), { stopAt: web.redirectUri });
  return result;
}

describe.each(backends)('on $name', ({ postgres }) => {
  const schema = `latch_disable_${randomBytes(6).toString('hex')}`;
  beforeAll(async () => {
    if (postgres) {
      store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
      ts = await startTestServer({ passwordGrant: true, databaseUrl }, { store });
    } else {
      ts = await startTestServer({ passwordGrant: true });
    }
    rs = await ts.client({ kind: 'm2m' });
    await createApi(ts.latch.store, { identifier: PHOTOS, scopes: ['read:photos'], tokenFormat: 'jwt', introspectionClients: [rs.clientId] });
    web = await ts.client({
      kind: 'web',
      grantTypes: ['authorization_code', 'refresh_token', 'password'],
      scopes: ['openid profile email offline_access read:photos'],
    });
    device = await ts.client({ kind: 'device' });
  });
  afterAll(async () => {
    await ts?.close();
    if (store) {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
      await store.close();
      store = undefined;
    }
  });

  describe('disabling a person', () => {
    let user: TestUser;
    const browser = new Browser();
    let config: client.Configuration;
    let opaque: { access_token: string; refresh_token: string };
    let jwt: { access_token: string; refresh_token: string };

    beforeAll(async () => {
      user = await ts.user();
      config = await discover(ts, web);
      opaque = (await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE })).tokens;
      jwt = (await obtainTokens(ts, browser, web, user, { scope: 'openid offline_access read:photos', extra: { resource: PHOTOS } })).tokens;
      expect(jwt.access_token.split('.')).toHaveLength(3);
    });

    it('works before: refresh, introspection of both access tokens, /userinfo, a session, the password grant', async () => {
      const refreshed = await client.refreshTokenGrant(config, opaque.refresh_token);
      opaque = { access_token: refreshed.access_token, refresh_token: refreshed.refresh_token! };
      expect((await client.tokenIntrospection(config, opaque.access_token)).active).toBe(true);
      expect((await introspect(ts, jwt.access_token, secret(rs))).body.active).toBe(true);
      expect((await client.fetchUserInfo(config, opaque.access_token, user.sub)).sub).toBe(user.sub);
      expect((await nextAuthorize(browser)).kind).toBe('redirect');
      expectTokens(await passwordGrant(user));
    });

    it('ends all of it at once', async () => {
      const disabled = await disableUser(ts.latch.store, user.sub, operator);
      expect(disabled.disabledAt).not.toBeNull();

      // The opaque access token: inactive, and refused at /userinfo.
      expect(await client.tokenIntrospection(config, opaque.access_token)).toEqual({ active: false });
      const info = await userinfo(ts, opaque.access_token);
      expect(info.status).toBe(401);
      expect(info.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      // The JWT access token: its signature is still good, but introspection calls it inactive.
      expect((await introspect(ts, jwt.access_token, secret(rs))).body).toEqual({ active: false });
      // The refresh token: invalid_grant (openid-client, then the raw answer).
      await expect(client.refreshTokenGrant(config, opaque.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
      expectTokenError(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: jwt.refresh_token }, secret(web)), 400, 'invalid_grant');
      // The session: the next authorization request asks to log in.
      const next = await nextAuthorize(browser);
      expect(next.kind).toBe('page');
      if (next.kind !== 'page') return;
      expect(findLoginForm(next.page)).toBeDefined();
      // Signing in is refused with a clear message, once the password is right; a wrong one says nothing more.
      const refused = await postLogin(browser, next.page, user.email, user.password);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatch(DISABLED);
      expect(findLoginForm(refused)).toBeDefined();
      expect(await ts.latch.store.sessions.listBySub(user.sub, Math.floor(Date.now() / 1000))).toEqual([]);
      const wrong = await postLogin(browser, refused, user.email, 'not the password');
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toMatch(DISABLED);
      // In the person's language (OIDC Core §3.1.2.1 ui_locales).
      const german = codeFlowUrl(ts, web);
      german.searchParams.set('ui_locales', 'de');
      const deBrowser = new Browser();
      const dePage = await deBrowser.navigate(german, { stopAt: web.redirectUri });
      if (dePage.kind !== 'page') throw new Error('expected the login page');
      const deRefused = await postLogin(deBrowser, dePage.page, user.email, user.password);
      expect(deRefused.status).toBe(403);
      expect(deRefused.body).toMatch(/Dieses Konto ist deaktiviert/);
      // The password grant: invalid_grant.
      const grant = await passwordGrant(user);
      expectTokenError(grant, 400, 'invalid_grant');
      expect(grant.body.error_description).toMatch(/disabled/);
    });

    it('enabling lets them sign in again; the old tokens stay dead', async () => {
      await enableUser(ts.latch.store, user.sub, operator);
      const again = await obtainTokens(ts, new Browser(), web, user, { scope: FULL_SCOPE });
      expect((await client.fetchUserInfo(config, again.tokens.access_token, user.sub)).sub).toBe(user.sub);
      expectTokens(await passwordGrant(user));
      await expect(client.refreshTokenGrant(config, opaque.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await introspect(ts, jwt.access_token, secret(rs))).body).toEqual({ active: false });
    });
  });

  describe('the core refuses a disabled person even with a live grant and session', () => {
    // Disabled in the store only (no grant revoked, no session ended): what the core's own checks must catch.
    async function markDisabled(user: TestUser) {
      const now = Math.floor(Date.now() / 1000);
      expect(await ts.latch.store.users.update(user.sub, { disabledAt: now, updatedAt: now })).toBe(true);
    }

    it('refresh fails with invalid_grant, and a code obtained before is not redeemed', async () => {
      const user = await ts.user();
      const browser = new Browser();
      const { tokens } = await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
      const code = await obtainCode(ts, browser, web, user, { scope: FULL_SCOPE });
      await markDisabled(user);
      const refresh = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, secret(web));
      expectTokenError(refresh, 400, 'invalid_grant');
      expect(refresh.body.error_description).toMatch(/disabled/);
      const redeemed = await redeemCode(ts, secret(web), code);
      expectTokenError(redeemed, 400, 'invalid_grant');
      expect(redeemed.body.error_description).toMatch(/disabled/);
    });

    it('a session of a disabled person does not count: /authorize asks to log in', async () => {
      const user = await ts.user();
      const browser = new Browser();
      await obtainTokens(ts, browser, web, user, { scope: FULL_SCOPE });
      expect((await nextAuthorize(browser)).kind).toBe('redirect');
      await markDisabled(user);
      const next = await nextAuthorize(browser);
      expect(next.kind).toBe('page');
      if (next.kind === 'page') expect(findLoginForm(next.page)).toBeDefined();
    });

    it('a disabled person cannot approve a device code, even from the confirmation page', async () => {
      const user = await ts.user();
      const browser = new Browser();
      const started = await requestDeviceAuthorization(ts, device);
      const shown = await verifyDevice(browser, started.verification_uri_complete!, { user });
      const confirm = findConsentForm(shown.page);
      expect(confirm, shown.page.body.slice(0, 500)).toBeDefined();
      await markDisabled(user);
      const decided = await browser.submit(confirm!, { decision: 'allow' }, { stopAt: 'urn:never' });
      expect(decided.kind).toBe('page');
      if (decided.kind === 'page') {
        expect(decided.page.status).toBe(403);
        expect(decided.page.body).toMatch(DISABLED);
      }
      expectTokenError(await pollToken(ts, device, started.device_code), 400, 'authorization_pending');
      // Coming back with the session: the login form with the message, not the confirmation.
      const again = await verifyDevice(browser, started.verification_uri_complete!, {});
      expect(again.page.status).toBe(403);
      expect(again.page.body).toMatch(DISABLED);
      expect(findConsentForm(again.page)).toBeUndefined();
    });
  });
});
