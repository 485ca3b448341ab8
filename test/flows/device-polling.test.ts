/**
 * Polling the token endpoint in the device flow (RFC 8628 §3.5): authorization_pending, slow_down (the interval grows
 * by 5 s), access_denied, expired_token; a device code bound to its client and redeemed once.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/tokens/hash.js';
import { Browser, findLoginForm } from '../helpers/browser.js';
import { DEVICE_GRANT, pollToken, requestDeviceAuthorization, sleep, verifyDevice } from '../helpers/device.js';
import { expectTokenError, expectTokens, introspect, tokenRequest, userinfo } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let tv: TestClient;
let web: TestClient;

beforeAll(async () => {
  ts = await startTestServer({ deviceCodeInterval: 1 });
  user = await ts.user();
  tv = await ts.client({ kind: 'device' });
  web = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  await ts?.close();
});

const startDevice = (server: TestServer = ts, c: TestClient = tv) => requestDeviceAuthorization(server, c);
const poll = (deviceCode: string, c: TestClient = tv, server: TestServer = ts) => pollToken(server, c, deviceCode);

describe('polling (RFC 8628 §3.5)', () => {
  let slow: TestServer;
  let slowTv: TestClient;

  beforeAll(async () => {
    slow = await startTestServer();
    slowTv = await slow.client({ kind: 'device' });
  });

  afterAll(async () => {
    await slow?.close();
  });

  it('answers authorization_pending, then slow_down when polled faster than the interval, and the interval grows by 5 s', async () => {
    const authorization = await startDevice(slow, slowTv);
    expect(authorization.interval).toBe(5);
    expectTokenError(await poll(authorization.device_code, slowTv, slow), 400, 'authorization_pending');
    const tooFast = await poll(authorization.device_code, slowTv, slow);
    expectTokenError(tooFast, 400, 'slow_down');
    expect(tooFast.body.error_description).toContain('10 seconds');
    // Still too fast for the grown interval: it grows again.
    await sleep(1100);
    const again = await poll(authorization.device_code, slowTv, slow);
    expectTokenError(again, 400, 'slow_down');
    expect(again.body.error_description).toContain('15 seconds');
    const stored = await slow.latch.store.deviceCodes.find(digest(authorization.device_code));
    expect(stored?.interval).toBe(15);
  });

  it('answers access_denied once the person denies, and keeps answering it', async () => {
    const authorization = await startDevice();
    const person = await verifyDevice(new Browser(), authorization.verification_uri_complete, { user, decision: 'deny' });
    expect(person.page.status).toBe(200);
    expect(person.page.body).toContain('Access denied');
    expectTokenError(await poll(authorization.device_code), 400, 'access_denied');
    expectTokenError(await poll(authorization.device_code), 400, 'access_denied');
    // openid-client reports it as an error.
    const config = await discover(ts, tv);
    const err = await client
      .pollDeviceAuthorizationGrant(config, { ...authorization, interval: 1 } as client.DeviceAuthorizationResponse)
      .catch((e: unknown) => e);
    expect((err as client.ResponseBodyError).error).toBe('access_denied');
    // The code cannot be entered again.
    const retry = await verifyDevice(new Browser(), authorization.verification_uri_complete, { user });
    expect(retry.page.status).toBe(400);
  });

  it('refuses a device code of another client with invalid_grant, without spending it', async () => {
    const authorization = await startDevice();
    const otherTv = await ts.client({ kind: 'device' });
    await verifyDevice(new Browser(), authorization.verification_uri_complete, { user, decision: 'allow' });
    const res = await poll(authorization.device_code, otherTv);
    expectTokenError(res, 400, 'invalid_grant');
    expect(res.body.error_description).toMatch(/another client/);
    expectTokens(await poll(authorization.device_code));
  });

  it('issues tokens once: a second redemption is invalid_grant and revokes the first tokens', async () => {
    const authorization = await startDevice();
    await verifyDevice(new Browser(), authorization.verification_uri_complete, { user, decision: 'allow' });
    const tokens = expectTokens(await poll(authorization.device_code));
    expect((await userinfo(ts, tokens.access_token)).status).toBe(200);
    const second = await poll(authorization.device_code);
    expectTokenError(second, 400, 'invalid_grant');
    expect(second.body.error_description).toMatch(/already used/);
    expect((await userinfo(ts, tokens.access_token)).status).toBe(401);
    expect((await introspect(ts, tokens.refresh_token, web)).body).toEqual({ active: false });
  });

  it('refuses an unknown device_code with invalid_grant and a missing one with invalid_request', async () => {
    expectTokenError(await poll('no-such-device-code'), 400, 'invalid_grant');
    expectTokenError(await tokenRequest(ts, { grant_type: DEVICE_GRANT }, tv), 400, 'invalid_request');
  });

  it('refuses the device grant to a client not registered for it with unauthorized_client', async () => {
    const authorization = await startDevice();
    expectTokenError(await poll(authorization.device_code, web), 400, 'unauthorized_client');
  });
});

describe('expiry', () => {
  let short: TestServer;
  let shortTv: TestClient;
  let shortUser: TestUser;

  beforeAll(async () => {
    short = await startTestServer({ deviceCodeTtl: 1, deviceCodeInterval: 1 });
    shortTv = await short.client({ kind: 'device' });
    shortUser = await short.user();
  });

  afterAll(async () => {
    await short?.close();
  });

  it('answers expired_token once the device code has expired, and the code can no longer be entered', async () => {
    const authorization = await startDevice(short, shortTv);
    expect(authorization.expires_in).toBe(1);
    await sleep(2100);
    const res = await poll(authorization.device_code, shortTv, short);
    expectTokenError(res, 400, 'expired_token');
    const person = await verifyDevice(new Browser(), authorization.verification_uri_complete, { user: shortUser });
    expect(person.page.status).toBe(400);
    expect(findLoginForm(person.page)).toBeUndefined();
  });
});
