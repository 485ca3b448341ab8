/**
 * The resource owner password credentials grant (RFC 6749 §4.3): off unless enabled both globally
 * (LATCH_PASSWORD_GRANT) and for the client, and rate-limited together with the login page.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { authorizeUrl, expectTokenError, expectTokens, getJson, pkcePair, postForm, random, tokenRequest, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

describe('password grant, disabled (the default)', () => {
  let ts: TestServer;
  let user: TestUser;
  let passwordClient: TestClient;

  beforeAll(async () => {
    ts = await startTestServer();
    user = await ts.user();
    passwordClient = await ts.client({ kind: 'web', grantTypes: ['password', 'refresh_token'] });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('is refused with unsupported_grant_type, even for a client registered for it', async () => {
    const res = await tokenRequest(ts, { grant_type: 'password', username: user.email, password: user.password, scope: 'openid' }, passwordClient);
    expectTokenError(res, 400, 'unsupported_grant_type');
    expect(res.body.error_description).toMatch(/not enabled/);
  });

  it('is not advertised in discovery', async () => {
    const m = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(m.grant_types_supported).not.toContain('password');
    expect(m.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'implicit']));
  });
});

describe('password grant, enabled', () => {
  let ts: TestServer;
  let user: TestUser;
  let passwordClient: TestClient;
  let codeClient: TestClient;
  const maxAttempts = 3;

  beforeAll(async () => {
    ts = await startTestServer({ passwordGrant: true, throttleMaxFailures: maxAttempts });
    user = await ts.user();
    passwordClient = await ts.client({ kind: 'web', grantTypes: ['password', 'refresh_token'] });
    codeClient = await ts.client({ kind: 'web' });
  });
  afterAll(async () => {
    await ts?.close();
  });

  const grant = (c: TestClient, body: Record<string, string>) => tokenRequest(ts, { grant_type: 'password', ...body }, c);

  it('is advertised in discovery', async () => {
    const m = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(m.grant_types_supported).toContain('password');
  });

  it('openid-client: access, refresh and ID token for the right password', async () => {
    const config = await discover(ts, passwordClient);
    const tokens = await client.genericGrantRequest(config, 'password', {
      username: user.email.toUpperCase(),
      password: user.password,
      scope: 'openid profile email offline_access',
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.sub);
    expect(claims.aud).toBe(passwordClient.clientId);
    expect(claims.email).toBe(user.email);
    expect(claims.nonce).toBeUndefined();
    expect(claims.sid).toBeUndefined();
    expect(Math.abs((claims.auth_time as number) - Date.now() / 1000)).toBeLessThan(30);

    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.email).toBe(user.email);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(user.sub);
  });

  it('no ID token without openid; scope limited to the client', async () => {
    const body = expectTokens(await grant(passwordClient, { username: user.email, password: user.password, scope: 'email' }));
    expect(body.id_token).toBeUndefined();
    expect(body.scope).toBe('email');
    expect((await userinfo(ts, body.access_token)).status).toBe(403);
    expectTokenError(await grant(passwordClient, { username: user.email, password: user.password, scope: 'openid admin' }), 400, 'invalid_scope');
    expectTokenError(await grant(passwordClient, { username: user.email, password: user.password }), 400, 'invalid_scope');
  });

  it('missing username or password: invalid_request', async () => {
    expectTokenError(await grant(passwordClient, { password: user.password, scope: 'openid' }), 400, 'invalid_request');
    expectTokenError(await grant(passwordClient, { username: user.email, scope: 'openid' }), 400, 'invalid_request');
  });

  it('a wrong password and an unknown user get the same invalid_grant', async () => {
    const someone = await ts.user();
    const wrong = await grant(passwordClient, { username: someone.email, password: 'not the password', scope: 'openid' });
    expectTokenError(wrong, 400, 'invalid_grant');
    const unknown = await grant(passwordClient, { username: `nobody-${random()}@example.test`, password: 'whatever', scope: 'openid' });
    expectTokenError(unknown, 400, 'invalid_grant');
    expect(unknown.body.error_description).toBe(wrong.body.error_description);
  });

  it('records the sign-ins in the audit trail like the login page does: the person, the client, never the password', async () => {
    const someone = await ts.user();
    const events = ts.latch.store.events;
    const wrong = await grant(passwordClient, { username: someone.email, password: 'not the password at all', scope: 'openid' });
    expectTokenError(wrong, 400, 'invalid_grant');
    const failed = await events.page({ sub: someone.sub, type: 'login.failed' }, { limit: 5 });
    expect(failed.items).toMatchObject([{ sub: someone.sub, clientId: passwordClient.clientId, data: { reason: 'wrong_password', via: 'password_grant' } }]);
    expectTokens(await grant(passwordClient, { username: someone.email, password: someone.password, scope: 'openid' }));
    const succeeded = await events.page({ sub: someone.sub, type: 'login.succeeded' }, { limit: 5 });
    expect(succeeded.items).toMatchObject([{ sub: someone.sub, actorSub: someone.sub, clientId: passwordClient.clientId, data: { via: 'password_grant' } }]);
    const all = JSON.stringify((await events.page({ sub: someone.sub }, { limit: 50 })).items);
    expect(all).not.toContain('not the password at all');
    expect(all).not.toContain(someone.password);
  });

  it('a client not registered for it: unauthorized_client', async () => {
    const res = await grant(codeClient, { username: user.email, password: user.password, scope: 'openid' });
    expectTokenError(res, 400, 'unauthorized_client');
  });

  it('ignores resource parameters, which it does not read, even two of them (RFC 6749 §3.1)', async () => {
    const body = new URLSearchParams({ grant_type: 'password', username: user.email, password: user.password, scope: 'openid' });
    body.append('resource', 'https://a.example/api');
    body.append('resource', 'https://b.example/api');
    const res = await postForm(`${ts.issuer}/token`, body, passwordClient);
    expect(res.status).toBe(200);
  });

  it('parallel requests with the right password for one account from one address all succeed (a service account)', async () => {
    const service = await ts.user();
    const answers = await Promise.all(
      Array.from({ length: 3 * maxAttempts + 2 }, () => grant(passwordClient, { username: service.email, password: service.password, scope: 'openid' })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  });

  it('parallel wrong passwords for one account from one address are counted like sequential ones', async () => {
    const target = await ts.user();
    const answers = await Promise.all(
      Array.from({ length: 3 * maxAttempts }, (_, i) => grant(passwordClient, { username: target.email, password: `wrong-${i}`, scope: 'openid' })),
    );
    const described = answers.map((a) => String((a.body as { error_description?: string }).error_description));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    // Exactly the limit were checked; the rest were refused unchecked, as sequential guesses would be.
    expect(described.filter((d) => /wait|try again/i.test(d))).toHaveLength(2 * maxAttempts);
  });

  it(`is throttled after ${maxAttempts} failures from one address, and the count is shared with the login page`, async () => {
    const target = await ts.user();
    for (let i = 0; i < maxAttempts; i++) {
      const res = await grant(passwordClient, { username: target.email, password: `wrong-${i}`, scope: 'openid' });
      expectTokenError(res, 400, 'invalid_grant');
      expect(res.body.error_description).toMatch(/incorrect/);
    }
    const limited = await grant(passwordClient, { username: target.email, password: target.password, scope: 'openid' });
    expectTokenError(limited, 400, 'invalid_grant');
    expect(limited.body.error_description).toMatch(/too many failed sign-ins/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // The login page counts against the same account limit.
    const browser = new Browser();
    const { challenge } = pkcePair();
    const url = authorizeUrl(ts, {
      response_type: 'code',
      client_id: codeClient.clientId,
      redirect_uri: codeClient.redirectUri,
      scope: 'openid',
      state: random(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const start = await browser.navigate(url, { stopAt: codeClient.redirectUri });
    if (start.kind !== 'page') throw new Error('expected the login page');
    const form = findLoginForm(start.page)!;
    const submitted = await browser.submit(form, { email: target.email, password: target.password }, { stopAt: codeClient.redirectUri });
    if (submitted.kind !== 'page') throw new Error('expected the login page again');
    expect(submitted.page.status).toBe(429);
    expect(submitted.page.body).toMatch(/Too many failed sign-ins/);
    expect(Number(submitted.page.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
