/**
 * Issue 12: "A person's token carries the admin scopes only if that user has the admin role", through every grant
 * that issues tokens for a person (authorization code, refresh, device code, password) and the consent page; client
 * credentials keep them for a client registered with them. Removing the admin role ends the person's admin tokens.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API, CONSOLE_CLIENT_ID, consoleRedirectUri } from '../../src/admin/builtins.js';
import { grantRole, revokeRole } from '../../src/admin/users.js';
import { Browser, type Page } from '../helpers/browser.js';
import { DEVICE_GRANT, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import { expectTokenError, expectTokens, introspect, obtainTokens, tokenRequest } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const ADMIN_SCOPE = 'openid offline_access admin:read admin:write';
const mentionsAdmin = /admin:read|admin:write|every setting/;

let ts: TestServer;
let app: TestClient;
let m2m: TestClient;
let admin: TestUser;
let person: TestUser;

beforeAll(async () => {
  ts = await startTestServer({ passwordGrant: true });
  app = await ts.client({ kind: 'web', grantTypes: ['authorization_code', 'refresh_token', 'password'], scopes: [ADMIN_SCOPE] });
  m2m = await ts.client({ kind: 'm2m', scopes: ['admin:read admin:write'] });
  admin = await ts.user({ roles: ['admin'] });
  person = await ts.user();
});
afterAll(async () => {
  await ts?.close();
});

const secret = (c: TestClient) => ({ clientId: c.clientId, clientSecret: c.clientSecret! });
const scopesOf = (scope: string | undefined) => (scope ?? '').split(' ').filter(Boolean).sort();

function consentPage(trail: Page[]): Page | undefined {
  return trail.find((p) => p.body.includes('name="decision"'));
}

async function adminTokens(user: TestUser) {
  return obtainTokens(ts, new Browser(), app, user, { scope: ADMIN_SCOPE, extra: { resource: ADMIN_API } });
}

describe('the authorization code flow and the consent page', () => {
  it('an admin gets the admin scopes, for the admin API, after consenting to them', async () => {
    const { code, tokens } = await adminTokens(admin);
    expect(scopesOf(tokens.scope)).toEqual(['admin:read', 'admin:write']);
    expect(consentPage(code.trail)?.body).toMatch(mentionsAdmin);
    const info = (await introspect(ts, tokens.access_token, secret(app))).body;
    expect(info).toMatchObject({ active: true, aud: ADMIN_API, sub: admin.sub });
    expect(scopesOf(info.scope)).toEqual(['admin:read', 'admin:write']);
  });

  it('a person without the role is not asked about them and gets a token without them, also on refresh', async () => {
    const { code, tokens } = await adminTokens(person);
    const consent = consentPage(code.trail);
    expect(consent).toBeDefined();
    expect(consent?.body).not.toMatch(mentionsAdmin);
    expect(scopesOf(tokens.scope)).not.toContain('admin:read');
    expect(scopesOf(tokens.scope)).not.toContain('admin:write');
    const info = (await introspect(ts, tokens.access_token, secret(app))).body;
    expect(info.active).toBe(true);
    expect(scopesOf(info.scope)).toEqual([]);
    const refreshed = expectTokens(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, secret(app)));
    expect(scopesOf(refreshed.scope)).toEqual([]);
    const refreshInfo = (await introspect(ts, refreshed.refresh_token, secret(app))).body;
    expect(scopesOf(refreshInfo.scope)).toEqual(['offline_access', 'openid']);
    const consent2 = await ts.latch.store.consents.find(person.sub, app.clientId);
    expect(consent2?.scopes).toEqual(['offline_access', 'openid']);
  });

  it('the console (a public client with PKCE, openid-client): admin scopes for an admin only', async () => {
    const config = await discover(ts, { clientId: CONSOLE_CLIENT_ID }, {}, client.None());
    async function signIn(user: TestUser) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: consoleRedirectUri(ts.issuer),
        scope: 'openid admin:read admin:write',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const result = await new Browser().authorize(url, {
        stopAt: consoleRedirectUri(ts.issuer),
        credentials: { email: user.email, password: user.password },
        decision: 'allow',
      });
      return client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    }
    const forAdmin = await signIn(admin);
    expect(scopesOf(forAdmin.scope)).toEqual(['admin:read', 'admin:write']);
    const forPerson = await signIn(person);
    expect(forPerson.claims()?.sub).toBe(person.sub);
    expect(scopesOf(forPerson.scope)).toEqual(['openid']);
  });
});

describe('the other grants', () => {
  it('password: the admin scopes for an admin only', async () => {
    const ask = (user: TestUser) =>
      tokenRequest(ts, { grant_type: 'password', username: user.email, password: user.password, scope: 'openid admin:read' }, secret(app));
    expect(scopesOf(expectTokens(await ask(admin)).scope)).toEqual(['admin:read', 'openid']);
    expect(scopesOf(expectTokens(await ask(person)).scope)).toEqual(['openid']);
    // The grant itself never holds them, so a role given later does not widen it.
    const grants = (await ts.latch.store.grants.listBySub(person.sub)).filter((g) => g.clientId === app.clientId);
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expect(g.scope).not.toMatch(/admin:/);
  });

  it('device code: a person without the role is not asked about them and gets a token without them', async () => {
    const tv = await ts.client({ kind: 'device', scopes: ['openid admin:read'] });
    async function approve(user: TestUser) {
      const started = await requestDeviceAuthorization(ts, tv, 'openid admin:read');
      const verified = await verifyDevice(new Browser(), started.verification_uri_complete!, { user, decision: 'allow' });
      const res = await tokenRequest(ts, { grant_type: DEVICE_GRANT, device_code: started.device_code, resource: ADMIN_API }, { clientId: tv.clientId });
      return { verified, tokens: expectTokens(res) };
    }
    const forPerson = await approve(person);
    expect(forPerson.verified.confirm?.body).not.toMatch(mentionsAdmin);
    expect(scopesOf(forPerson.tokens.scope)).toEqual([]);
    const grants = (await ts.latch.store.grants.listBySub(person.sub)).filter((g) => g.clientId === tv.clientId);
    expect(grants.map((g) => g.scope)).toEqual(['openid']);
    const forAdmin = await approve(admin);
    expect(forAdmin.verified.confirm?.body).toMatch(mentionsAdmin);
    expect(scopesOf(forAdmin.tokens.scope)).toEqual(['admin:read']);
  });

  it('client credentials: a client registered with the admin scopes keeps them', async () => {
    const res = await tokenRequest(ts, { grant_type: 'client_credentials', resource: ADMIN_API, scope: 'admin:read admin:write' }, secret(m2m));
    const tokens = expectTokens(res);
    expect(scopesOf(tokens.scope)).toEqual(['admin:read', 'admin:write']);
    expect((await introspect(ts, tokens.access_token, secret(m2m))).body).toMatchObject({ active: true, aud: ADMIN_API });
  });
});

describe('removing the admin role', () => {
  it('ends that person\'s admin tokens at once, and leaves their other grants alone', async () => {
    const boss = await ts.user({ roles: ['admin'] });
    const { tokens } = await adminTokens(boss);
    const plain = (await obtainTokens(ts, new Browser(), app, boss, { scope: 'openid offline_access' })).tokens;
    expect((await introspect(ts, tokens.access_token, secret(app))).body.active).toBe(true);

    await revokeRole(ts.latch.store, boss.sub, 'admin', { sub: admin.sub, clientId: null, address: '192.0.2.7' });
    expect((await introspect(ts, tokens.access_token, secret(app))).body).toEqual({ active: false });
    expectTokenError(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, secret(app)), 400, 'invalid_grant');
    expect((await introspect(ts, plain.access_token, secret(app))).body.active).toBe(true);
    expectTokens(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: plain.refresh_token }, secret(app)));

    // Given back: a new sign-in gets the admin scopes again.
    await grantRole(ts.latch.store, boss.sub, 'admin');
    expect(scopesOf((await adminTokens(boss)).tokens.scope)).toEqual(['admin:read', 'admin:write']);
  });

  it('a refresh after the role is gone (grant left alive) no longer carries the admin scopes', async () => {
    const boss = await ts.user({ roles: ['admin'] });
    const { tokens } = await adminTokens(boss);
    const now = Math.floor(Date.now() / 1000);
    // The role only, in the store: no grant revoked, so the token issuance itself must drop the scopes.
    await ts.latch.store.users.update(boss.sub, { roles: [], updatedAt: now });
    const refreshed = expectTokens(await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, secret(app)));
    expect(scopesOf(refreshed.scope)).toEqual([]);
    const info = (await introspect(ts, refreshed.access_token, secret(app))).body;
    expect(scopesOf(info.scope)).toEqual([]);
  });
});
