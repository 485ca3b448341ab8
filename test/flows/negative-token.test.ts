/**
 * Everything the token endpoint must refuse, with RFC 6749 §5.2 errors.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import {
  basicAuth,
  expectTokenError,
  expectTokens,
  FULL_SCOPE,
  isActive,
  obtainCode,
  pkcePair,
  random,
  redeemCode,
  tokenRequest,
  userinfo,
} from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;
let otherWeb: TestClient;
let spa: TestClient;
let webRedirectUris: string[];
const browser = new Browser();

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  const host = `rp-${random(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}.example.test`;
  webRedirectUris = [`https://${host}/callback`, `https://${host}/other-callback`];
  web = await ts.client({ kind: 'web', redirectUris: webRedirectUris });
  otherWeb = await ts.client({ kind: 'web' });
  spa = await ts.client({ kind: 'spa' });
});

afterAll(async () => {
  await ts?.close();
});

describe('client authentication', () => {
  it('failed client_secret_basic: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const code = await obtainCode(ts, browser, web, user);
    const res = await redeemCode(ts, { clientId: web.clientId, clientSecret: 'wrong-secret' }, code);
    expectTokenError(res, 401, 'invalid_client');
    expect(res.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/i);
  });

  it('unknown client in Basic: 401 invalid_client', async () => {
    const res = await tokenRequest(ts, { grant_type: 'authorization_code', code: 'x', redirect_uri: web.redirectUri }, {
      clientId: 'no-such-client',
      clientSecret: 'whatever',
    });
    expectTokenError(res, 401, 'invalid_client');
    expect(res.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/i);
  });

  it('malformed Basic header: 401 invalid_client', async () => {
    const res = await tokenRequest(ts, { grant_type: 'authorization_code', code: 'x' }, undefined, { authorization: 'Basic !!!not-base64' });
    expect([400, 401]).toContain(res.status);
    expect(['invalid_client', 'invalid_request']).toContain(res.body?.error);
    expect(res.headers.get('cache-control') ?? '').toMatch(/no-store/);
  });

  it('wrong client_secret_post: 401 invalid_client', async () => {
    const post = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_post' });
    const res = await tokenRequest(ts, {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: post.redirectUri,
      client_id: post.clientId,
      client_secret: 'wrong',
    });
    expectTokenError(res, 401, 'invalid_client');
  });

  it('a confidential client without credentials: 401 invalid_client', async () => {
    const code = await obtainCode(ts, browser, web, user);
    const res = await tokenRequest(ts, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: code.redirectUri,
      code_verifier: code.verifier!,
      client_id: web.clientId,
    });
    expectTokenError(res, 401, 'invalid_client');
  });

  it('two authentication methods at once are refused (RFC 6749 §2.3)', async () => {
    const res = await tokenRequest(
      ts,
      { grant_type: 'authorization_code', code: 'x', redirect_uri: web.redirectUri, client_id: web.clientId, client_secret: web.clientSecret! },
      undefined,
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect([400, 401]).toContain(res.status);
    expect(['invalid_request', 'invalid_client']).toContain(res.body?.error);
  });

  it('private_key_jwt assertion signed with an unregistered key: 401 invalid_client', async () => {
    const registered = await generateKeyPair('ES256', { extractable: true });
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(registered.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await ts.client({ kind: 'web', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(c.clientId)
      .setSubject(c.clientId)
      .setAudience(ts.issuer)
      .setJti(random())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(attacker.privateKey);
    const res = await tokenRequest(ts, {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: c.redirectUri,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expectTokenError(res, 401, 'invalid_client');
  });
});

describe('request shape', () => {
  it('duplicate parameters: invalid_request', async () => {
    const code = await obtainCode(ts, browser, web, user);
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: code.redirectUri,
      code_verifier: code.verifier!,
    });
    body.append('code', code.code);
    expectTokenError(await tokenRequest(ts, body.toString(), web), 400, 'invalid_request');

    const twice = `grant_type=authorization_code&grant_type=refresh_token&code=x&redirect_uri=${encodeURIComponent(web.redirectUri)}`;
    expectTokenError(await tokenRequest(ts, twice, web), 400, 'invalid_request');
  });

  it('unsupported grant_type: unsupported_grant_type', async () => {
    expectTokenError(await tokenRequest(ts, { grant_type: 'urn:example:not-a-grant' }, web), 400, 'unsupported_grant_type');
  });

  it('missing grant_type: invalid_request', async () => {
    expectTokenError(await tokenRequest(ts, { code: 'x' }, web), 400, 'invalid_request');
  });

  it('missing code: invalid_request', async () => {
    expectTokenError(
      await tokenRequest(ts, { grant_type: 'authorization_code', redirect_uri: web.redirectUri }, web),
      400,
      'invalid_request',
    );
  });

  it('an unknown code: invalid_grant', async () => {
    expectTokenError(
      await tokenRequest(ts, { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: web.redirectUri }, web),
      400,
      'invalid_grant',
    );
  });
});

describe('authorization code', () => {
  it('is single use: the second use is invalid_grant and revokes the tokens of the first use', async () => {
    const code = await obtainCode(ts, browser, web, user, { scope: FULL_SCOPE });
    const tokens = expectTokens(await redeemCode(ts, web, code));
    expect(typeof tokens.refresh_token).toBe('string');
    expect(await isActive(ts, tokens.access_token, web)).toBe(true);

    expectTokenError(await redeemCode(ts, web, code), 400, 'invalid_grant');

    expect(await isActive(ts, tokens.access_token, web)).toBe(false);
    expect(await isActive(ts, tokens.refresh_token, web)).toBe(false);
    expect((await userinfo(ts, tokens.access_token)).status).toBe(401);
    expectTokenError(
      await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web),
      400,
      'invalid_grant',
    );
  });

  it('PKCE: a wrong code_verifier is invalid_grant (confidential client)', async () => {
    const code = await obtainCode(ts, browser, web, user);
    expectTokenError(await redeemCode(ts, web, code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
  });

  it('PKCE: a wrong code_verifier is invalid_grant (public client)', async () => {
    const code = await obtainCode(ts, browser, spa, user);
    expectTokenError(await redeemCode(ts, { clientId: spa.clientId }, code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
  });

  it('PKCE: a missing code_verifier is invalid_grant', async () => {
    const code = await obtainCode(ts, browser, spa, user);
    const { verifier: _dropped, ...withoutVerifier } = code;
    expectTokenError(await redeemCode(ts, { clientId: spa.clientId }, withoutVerifier), 400, 'invalid_grant');

    const webCode = await obtainCode(ts, browser, web, user);
    const { verifier: _dropped2, ...webWithoutVerifier } = webCode;
    expectTokenError(await redeemCode(ts, web, webWithoutVerifier), 400, 'invalid_grant');
  });

  it('PKCE downgrade: a code issued without a challenge, redeemed with a code_verifier, is invalid_grant', async () => {
    const code = await obtainCode(ts, browser, web, user, { pkce: false });
    expect(code.verifier).toBeUndefined();
    expectTokenError(await redeemCode(ts, web, code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
  });

  it('the right verifier still works after those checks (sanity)', async () => {
    const code = await obtainCode(ts, browser, spa, user);
    expectTokens(await redeemCode(ts, { clientId: spa.clientId }, code));
  });

  it("another client's code is invalid_grant and changes nothing: the owner then redeems it (RFC 6749 §4.1.3)", async () => {
    const code = await obtainCode(ts, browser, web, user);
    expectTokenError(await redeemCode(ts, otherWeb, code), 400, 'invalid_grant');
    expectTokenError(await redeemCode(ts, otherWeb, code), 400, 'invalid_grant');
    const tokens = expectTokens(await redeemCode(ts, web, code));
    expect((await userinfo(ts, tokens.access_token)).status).toBe(200);
    // A second use by the rightful client still revokes what the first one got.
    expectTokenError(await redeemCode(ts, web, code), 400, 'invalid_grant');
    expect((await userinfo(ts, tokens.access_token)).status).toBe(401);
  });

  it("a public client cannot redeem a confidential client's code by naming it", async () => {
    const code = await obtainCode(ts, browser, web, user);
    const res = await redeemCode(ts, { clientId: spa.clientId }, code);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(['invalid_grant', 'invalid_client']).toContain(res.body?.error);
  });

  it('a changed redirect_uri is invalid_grant', async () => {
    const code = await obtainCode(ts, browser, web, user);
    expectTokenError(await redeemCode(ts, web, { ...code, redirectUri: `${code.redirectUri}/changed` }), 400, 'invalid_grant');
  });

  it('a redirect_uri switched to another registered URI of the same client is invalid_grant', async () => {
    const code = await obtainCode(ts, browser, web, user);
    const other = webRedirectUris[1]!;
    expect(other).not.toBe(code.redirectUri);
    expectTokenError(await redeemCode(ts, web, { ...code, redirectUri: other }), 400, 'invalid_grant');
  });

  it('a missing redirect_uri, when the request had one, is refused (RFC 6749 §4.1.3)', async () => {
    const code = await obtainCode(ts, browser, web, user);
    const res = await tokenRequest(ts, { grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier! }, web);
    expect(res.status, res.text).toBe(400);
    expect(['invalid_grant', 'invalid_request']).toContain(res.body?.error);
  });
});

describe('expired authorization code', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ codeTtl: 1 });
  });
  afterAll(async () => {
    await short?.close();
  });

  it('is invalid_grant after codeTtl', async () => {
    const u = await short.user();
    const c = await short.client({ kind: 'web' });
    const code = await obtainCode(short, new Browser(), c, u);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expectTokenError(await redeemCode(short, c, code), 400, 'invalid_grant');
  });
});
