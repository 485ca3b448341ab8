/**
 * Issue 11 §1: failing client authentication at /token, /introspect, /revoke and /device_authorization is
 * throttled (RFC 6749 §2.3.1), per client and address, so a stranger cannot lock a confidential client out;
 * the password grant follows the login page's rules. Addresses are posed through X-Forwarded-For, believed
 * because LATCH_TRUST_PROXY names 127.0.0.1 (the test's own address).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTokenError, expectTokens, postForm, type HttpResult } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const from = (address: string) => ({ 'x-forwarded-for': address });

describe('client authentication throttle', () => {
  let ts: TestServer;
  let m2m: TestClient;

  beforeAll(async () => {
    ts = await startTestServer({ trustProxy: '127.0.0.1', throttleMaxDelay: 0.05, passwordGrant: true });
    m2m = await ts.client({ kind: 'm2m' });
  });
  afterAll(() => ts?.close());

  const wrong = (client: TestClient) => ({ clientId: client.clientId, clientSecret: `${client.clientSecret}-not` });
  const token = (client: { clientId: string; clientSecret?: string }, address: string) =>
    postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials' }, client, from(address));

  function expectThrottled(res: HttpResult): void {
    expectTokenError(res, 429, 'invalid_client');
    expect(res.body.error_description).toMatch(/too many failed authentications of this client from this address/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  }

  it('five failures from one address, at any of the four endpoints, lock the client from there: 429 with Retry-After', async () => {
    const attacker = '198.51.100.20';
    const bad = wrong(m2m);
    expectTokenError(await token(bad, attacker), 401, 'invalid_client');
    expectTokenError(await postForm(`${ts.issuer}/introspect`, { token: 'x' }, bad, from(attacker)), 401, 'invalid_client');
    expectTokenError(await postForm(`${ts.issuer}/revoke`, { token: 'x' }, bad, from(attacker)), 401, 'invalid_client');
    expectTokenError(await postForm(`${ts.issuer}/device_authorization`, { scope: 'openid' }, bad, from(attacker)), 401, 'invalid_client');
    expectTokenError(await token(bad, attacker), 401, 'invalid_client');
    // Locked from that address, even with the right secret, at every endpoint.
    expectThrottled(await token(m2m, attacker));
    expectThrottled(await postForm(`${ts.issuer}/introspect`, { token: 'x' }, m2m, from(attacker)));
    expectThrottled(await postForm(`${ts.issuer}/revoke`, { token: 'x' }, m2m, from(attacker)));
    expectThrottled(await postForm(`${ts.issuer}/device_authorization`, {}, m2m, from(attacker)));
  });

  it('a stranger cannot lock a confidential client out: 30 failures from six addresses, the client still gets tokens', async () => {
    const client = await ts.client({ kind: 'm2m' });
    for (let a = 1; a <= 6; a++) {
      for (let i = 0; i < 5; i++) expectTokenError(await token(wrong(client), `198.51.100.${100 + a}`), 401, 'invalid_client');
      expectThrottled(await token(wrong(client), `198.51.100.${100 + a}`));
    }
    expectTokens(await token(client, '203.0.113.5'));
    // Without X-Forwarded-For the request comes from 127.0.0.1, where nothing failed either.
    expectTokens(await postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials' }, client));
  });

  it('a success from the address resets its count', async () => {
    const client = await ts.client({ kind: 'm2m' });
    const address = '198.51.100.150';
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expectTokenError(await token(wrong(client), address), 401, 'invalid_client');
      expectTokens(await token(client, address));
    }
  });

  it('the password grant: failures from strangers do not lock the owner out; their own address is locked (invalid_grant + Retry-After)', async () => {
    const app = await ts.client({ kind: 'web', grantTypes: ['password'] });
    const owner = await ts.user();
    const grant = (password: string, address: string) =>
      postForm(`${ts.issuer}/token`, { grant_type: 'password', username: owner.email, password, scope: 'openid' }, app, from(address));
    for (let a = 1; a <= 5; a++) {
      for (let i = 0; i < 5; i++) expectTokenError(await grant(`guess-${i}`, `198.51.100.${200 + a}`), 400, 'invalid_grant');
      const locked = await grant(owner.password, `198.51.100.${200 + a}`);
      // RFC 6749 §5.2: 400 invalid_grant (no code exists for throttling), with a description and Retry-After.
      expectTokenError(locked, 400, 'invalid_grant');
      expect(locked.body.error_description).toMatch(/too many failed sign-ins for this account from this address/);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expectTokens(await grant(owner.password, '203.0.113.9'));
  });
});
