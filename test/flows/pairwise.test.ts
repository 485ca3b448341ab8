/**
 * Pairwise subject identifiers (OIDC Core §8.1): sub = base64url(SHA-256(sector host || local sub || salt)), the salt
 * derived from the server secret. Clients of one sector share it, other sectors differ, public clients keep the local
 * sub; ID token, UserInfo, introspection and JWT access tokens agree; a pairwise id_token_hint works at /authorize
 * and /logout; consents stay on the local sub.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import type { ClientMetadata } from '../../src/storage/types.js';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { authorizeUrl, getJson, introspect, obtainTokens, pkcePair, random, tokenRequest, userinfo } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const SECRET = randomBytes(32).toString('base64url');
const SECTOR_A = 'https://sector-a.example.test/sector.json';
const LEDGER = 'urn:example:pairwise-ledger';

let ts: TestServer;
let user: TestUser;
let other: TestUser;
let a1: TestClient;
let a2: TestClient;
let b: TestClient;
let pub: TestClient;

async function withMetadata(c: TestClient, patch: Partial<ClientMetadata>): Promise<void> {
  const record = await ts.latch.store.clients.find(c.clientId);
  await ts.latch.store.clients.update(c.clientId, { metadata: { ...record!.metadata, ...patch } });
}

/** §8.1 computed independently of the server, from the secret it was started with. */
function expectedPairwise(sector: string, localSub: string): string {
  const salt = Buffer.from(hkdfSync('sha256', Buffer.from(SECRET, 'base64url'), new Uint8Array(0), 'latch pairwise subject', 32));
  return createHash('sha256').update(sector).update(localSub).update(salt).digest('base64url');
}

async function idTokenSub(idToken: string, c: TestClient): Promise<string> {
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${ts.issuer}/jwks`)), { issuer: ts.issuer, audience: c.clientId });
  return payload.sub!;
}

function silentRequest(c: TestClient, extra: Record<string, string>) {
  return authorizeUrl(ts, {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: 'openid',
    state: random(),
    prompt: 'none',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
}

beforeAll(async () => {
  ts = await startTestServer({ secret: SECRET });
  user = await ts.user();
  other = await ts.user();
  await createApi(ts.latch.store, { identifier: LEDGER, scopes: ['ledger'], signingAlg: 'RS256' });
  a1 = await ts.client({ kind: 'web', redirectUris: ['https://app-one.example.test/cb'], extraScopes: ['ledger'] });
  a2 = await ts.client({ kind: 'web', redirectUris: ['https://app-two.example.test/cb'] });
  b = await ts.client({ kind: 'web', redirectUris: ['https://app-b.example.test/cb'] });
  pub = await ts.client({ kind: 'web', redirectUris: ['https://app-public.example.test/cb'] });
  await withMetadata(a1, { subject_type: 'pairwise', sector_identifier_uri: SECTOR_A });
  await withMetadata(a2, { subject_type: 'pairwise', sector_identifier_uri: SECTOR_A });
  await withMetadata(b, { subject_type: 'pairwise' });
});

afterAll(async () => {
  await ts?.close();
});

describe('pairwise sub in ID tokens', () => {
  it('is shared by two clients of one sector, differs for another sector, and is the local sub for a public client', async () => {
    const browser = new Browser();
    const one = await idTokenSub((await obtainTokens(ts, browser, a1, user, { scope: 'openid' })).tokens.id_token, a1);
    const two = await idTokenSub((await obtainTokens(ts, browser, a2, user, { scope: 'openid' })).tokens.id_token, a2);
    const three = await idTokenSub((await obtainTokens(ts, browser, b, user, { scope: 'openid' })).tokens.id_token, b);
    const four = await idTokenSub((await obtainTokens(ts, browser, pub, user, { scope: 'openid' })).tokens.id_token, pub);
    expect(one).toBe(two);
    expect(one).toBe(expectedPairwise('sector-a.example.test', user.sub));
    expect(three).toBe(expectedPairwise('app-b.example.test', user.sub));
    expect(three).not.toBe(one);
    expect(four).toBe(user.sub);
    expect([one, three]).not.toContain(user.sub);
    // Another person of the same sector gets another sub.
    const theirs = await idTokenSub((await obtainTokens(ts, new Browser(), a1, other, { scope: 'openid' })).tokens.id_token, a1);
    expect(theirs).toBe(expectedPairwise('sector-a.example.test', other.sub));
    expect(theirs).not.toBe(one);
  });

  it('ID token, UserInfo (oauth4webapi checks sub), introspection and a refreshed ID token agree', async () => {
    const { tokens } = await obtainTokens(ts, new Browser(), a1, user, { scope: 'openid email offline_access' });
    const sub = await idTokenSub(tokens.id_token, a1);
    const issuer = new URL(ts.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    expect(as.subject_types_supported).toEqual(['public', 'pairwise']);
    const rp: oauth.Client = { client_id: a1.clientId };
    const info = await oauth.processUserInfoResponse(as, rp, sub, await oauth.userInfoRequest(as, rp, tokens.access_token, { [oauth.allowInsecureRequests]: true }));
    expect(info.email).toBe(user.email);

    const intro = await introspect(ts, tokens.access_token, { clientId: a1.clientId, clientSecret: a1.clientSecret! });
    expect(intro.body).toMatchObject({ active: true, sub });

    const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, a1);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(await idTokenSub(refreshed.body.id_token, a1)).toBe(sub);
    expect((await userinfo(ts, refreshed.body.access_token)).body.sub).toBe(sub);
  });

  it('a JWT access token for an API names the person by the same pairwise sub', async () => {
    const { tokens } = await obtainTokens(ts, new Browser(), a1, user, { scope: 'openid ledger', extra: { resource: LEDGER } });
    const sub = await idTokenSub(tokens.id_token, a1);
    const at = decodeJwt(tokens.access_token);
    expect(at.aud).toBe(LEDGER);
    expect(at.sub).toBe(sub);
    expect(at.sub).not.toBe(user.sub);
  });

  it('the consent is kept for the local sub, so a pairwise client is not asked again', async () => {
    const browser = new Browser();
    await obtainTokens(ts, browser, a2, other, { scope: 'openid' });
    const consent = await ts.latch.store.consents.find(other.sub, a2.clientId);
    expect(consent?.scopes).toContain('openid');
    const again = await browser.authorize(silentRequest(a2, {}), { stopAt: a2.redirectUri });
    expect(again.params.get('code')).toBeTruthy();
  });
});

describe('pairwise id_token_hint', () => {
  it('at /authorize with prompt=none: the hint of the signed-in person is answered, another person’s is login_required', async () => {
    const browser = new Browser();
    const mine = (await obtainTokens(ts, browser, a1, user, { scope: 'openid' })).tokens.id_token;
    const theirs = (await obtainTokens(ts, new Browser(), a1, other, { scope: 'openid' })).tokens.id_token;
    const ok = await browser.navigate(silentRequest(a1, { id_token_hint: mine }), { stopAt: a1.redirectUri });
    expect(ok.kind === 'redirect' && ok.url.searchParams.get('code'), JSON.stringify(ok.kind)).toBeTruthy();
    const refused = await browser.navigate(silentRequest(a1, { id_token_hint: theirs }), { stopAt: a1.redirectUri });
    expect(refused.kind === 'redirect' && refused.url.searchParams.get('error')).toBe('login_required');
  });

  it('at /logout: the signed-in person’s pairwise hint logs out at once; another person’s asks first', async () => {
    const browser = new Browser();
    const mine = (await obtainTokens(ts, browser, a1, user, { scope: 'openid' })).tokens.id_token;
    const theirs = (await obtainTokens(ts, new Browser(), a1, other, { scope: 'openid' })).tokens.id_token;

    const asking = new URL(`${ts.issuer}/logout`);
    asking.searchParams.set('id_token_hint', theirs);
    const page = await browser.request(asking);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<form/);

    const url = new URL(`${ts.issuer}/logout`);
    url.searchParams.set('id_token_hint', mine);
    url.searchParams.set('post_logout_redirect_uri', 'https://app-one.example.test/logged-out');
    await withMetadata(a1, { post_logout_redirect_uris: ['https://app-one.example.test/logged-out'] });
    const done = await browser.request(url);
    expect(done.status, done.body.slice(0, 300)).toBe(303);
    expect(done.location?.href).toBe('https://app-one.example.test/logged-out');
    const after = await browser.navigate(silentRequest(a1, { prompt: 'login' }), { stopAt: a1.redirectUri });
    expect(after.kind === 'page' && findLoginForm(after.page)).toBeTruthy();
  });
});

describe('misconfigured pairwise client', () => {
  it('redirect URIs on two hosts without sector_identifier_uri: invalid_client, shown, never redirected', async () => {
    const two = await ts.client({ kind: 'web', redirectUris: ['https://host-one.example.test/cb', 'https://host-two.example.test/cb'] });
    await withMetadata(two, { subject_type: 'pairwise' });
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: two.clientId,
      redirect_uri: two.redirectUri,
      scope: 'openid',
      state: random(),
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const result = await new Browser().navigate(url, { stopAt: two.redirectUri });
    expect(result.kind).toBe('page');
    if (result.kind === 'page') {
      expect(result.page.status).toBe(400);
      expect(result.page.body).toMatch(/sector_identifier_uri/);
    }
  });
});

describe('discovery', () => {
  it('lists public and pairwise', async () => {
    expect((await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body.subject_types_supported).toEqual(['public', 'pairwise']);
  });
});
