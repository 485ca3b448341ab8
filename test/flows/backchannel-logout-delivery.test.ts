/**
 * Delivery of logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5, §2.8): a receiver that fails twice and
 * then answers 200 gets the token three times and the delivery is recorded; one that never answers does not slow
 * the person's logout, and after the last attempt a logout.backchannel_failed event says why (never the token);
 * a loopback receiver is refused outright without LATCH_FETCH_ALLOW_PRIVATE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../../src/storage/open.js';
import type { EventRecord } from '../../src/storage/types.js';
import { Browser } from '../helpers/browser.js';
import { obtainTokens } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';
import { type Behaviour, LogoutReceiver, verifyLogoutToken } from './backchannel-logout-receiver.js';

let ts: TestServer;
let receiver: LogoutReceiver;

beforeAll(async () => {
  // Half a second per attempt, three attempts: 1 s before the second, 2 s before the third.
  ts = await startTestServer({ backchannelLogoutTimeout: 0.5, backchannelLogoutAttempts: 3 });
  receiver = await new LogoutReceiver().start();
});

afterAll(async () => {
  await ts?.close();
  await receiver?.close();
});

async function rp(server: TestServer, name: string, behaviour: Behaviour): Promise<TestClient & { uri: string }> {
  const c = await server.client({ kind: 'web' });
  const record = (await server.latch.store.clients.find(c.clientId))!;
  const uri = receiver.endpoint(`${name}-${c.clientId}`, behaviour);
  await server.latch.store.clients.update(c.clientId, { metadata: { ...record.metadata, backchannel_logout_uri: uri } });
  return { ...c, uri };
}

/** Signs a new person in to `client` and logs out with the ID token as hint; how long the logout took to answer. */
async function signInAndOut(server: TestServer, client: TestClient): Promise<{ sid: string; sub: string; elapsedMs: number }> {
  const browser = new Browser();
  const user = await server.user();
  const { tokens } = await obtainTokens(server, browser, client, user, { scope: 'openid' });
  const url = new URL(`${server.issuer}/logout`);
  url.searchParams.set('id_token_hint', tokens.id_token);
  url.searchParams.set('post_logout_redirect_uri', client.postLogoutRedirectUri!);
  const started = Date.now();
  const answer = await browser.request(url);
  const elapsedMs = Date.now() - started;
  expect(answer.status).toBe(303);
  return { sid: decodeJwt(tokens.id_token).sid as string, sub: user.sub, elapsedMs };
}

async function eventFor(server: TestServer, clientId: string, timeoutMs = 15_000): Promise<EventRecord> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const items = (await server.latch.store.events.page({ clientId }, { limit: 50 })).items.filter((e) => e.type.startsWith('logout.backchannel_'));
    if (items.length > 0) {
      expect(items).toHaveLength(1);
      return items[0]!;
    }
    if (Date.now() > until) throw new Error(`no back-channel event for ${clientId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('retries', () => {
  it('a receiver that fails twice gets the same token a third time, and the delivery is recorded', async () => {
    const a = await rp(ts, 'flaky', { kind: 'fail', times: 2, status: 503 });
    const { sid, sub } = await signInAndOut(ts, a);
    const received = await receiver.waitFor(a.uri, 3, 10_000);
    expect(new Set(received.map((r) => r.token)).size).toBe(1);
    // A doubling backoff between the attempts (1 s, then 2 s).
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
    expect(received[2]!.at - received[1]!.at).toBeGreaterThanOrEqual(1900);
    const claims = await verifyLogoutToken(ts.issuer, received[0]!.token, a.clientId);
    expect(claims).toMatchObject({ sid, sub });
    const event = await eventFor(ts, a.clientId);
    expect(event).toMatchObject({ type: 'logout.backchannel_delivered', sub, clientId: a.clientId, data: { sid, attempts: 3 } });
  });

  it('204 No Content is a success too', async () => {
    const a = await rp(ts, 'no-content', { kind: 'ok', status: 204 });
    await signInAndOut(ts, a);
    expect((await eventFor(ts, a.clientId)).type).toBe('logout.backchannel_delivered');
    expect(receiver.for(a.uri)).toHaveLength(1);
  });

  it('a receiver that always answers 400 is tried three times, then the failure is recorded with its status', async () => {
    const a = await rp(ts, 'refusing', { kind: 'fail', times: 99, status: 400 });
    const { sid } = await signInAndOut(ts, a);
    const event = await eventFor(ts, a.clientId);
    expect(event).toMatchObject({ type: 'logout.backchannel_failed', data: { sid, attempts: 3, reason: 'status', status: 400 } });
    expect(receiver.for(a.uri)).toHaveLength(3);
  });
});

describe('a receiver that never answers', () => {
  it('does not hold up the logout; each attempt times out and the failure is recorded without the token', async () => {
    const a = await rp(ts, 'hanging', { kind: 'hang' });
    const { sid, elapsedMs } = await signInAndOut(ts, a);
    const answered = Date.now();
    // Three attempts of 0.5 s with 1 s and 2 s between them: the answer came long before the delivery gave up.
    expect(elapsedMs).toBeLessThan(1500);
    const event = await eventFor(ts, a.clientId);
    expect(Date.now() - answered).toBeGreaterThan(3500);
    expect(event).toMatchObject({ type: 'logout.backchannel_failed', data: { sid, attempts: 3, reason: 'timeout' } });
    const received = receiver.for(a.uri);
    expect(received).toHaveLength(3);
    expect(JSON.stringify(event)).not.toContain(received[0]!.token);
    expect(JSON.stringify(event)).not.toContain(received[0]!.token.split('.')[2]!);
  });
});

describe('without LATCH_FETCH_ALLOW_PRIVATE', () => {
  it('a loopback backchannel_logout_uri is never contacted, and the refusal is recorded at once', async () => {
    const strict = await startTestServer({ fetchAllowPrivate: false });
    try {
      const a = await rp(strict, 'private', { kind: 'ok' });
      const { sid } = await signInAndOut(strict, a);
      const event = await eventFor(strict, a.clientId);
      expect(event).toMatchObject({ type: 'logout.backchannel_failed', data: { sid, attempts: 1, reason: 'scheme' } });
      expect(receiver.for(a.uri)).toHaveLength(0);
      // https to a loopback address: the address rule refuses it (and retrying would not help).
      const b = await strict.client({ kind: 'web' });
      const record = (await strict.latch.store.clients.find(b.clientId))!;
      await strict.latch.store.clients.update(b.clientId, { metadata: { ...record.metadata, backchannel_logout_uri: 'https://127.0.0.1:9/logout' } });
      await signInAndOut(strict, b);
      expect(await eventFor(strict, b.clientId)).toMatchObject({ type: 'logout.backchannel_failed', data: { attempts: 1, reason: 'address' } });
    } finally {
      await strict.close();
    }
  });
});

describe('shutdown', () => {
  it('a delivery waiting for its next attempt gives up when the server closes, and says so', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latch-bc-shutdown-'));
    // The store outlives the server, so that what was recorded can be read after the close.
    const store = await openMigratedStore({ dataDir });
    try {
      const server = await startTestServer({ backchannelLogoutAttempts: 6 }, { store });
      const a = await rp(server, 'shutdown', { kind: 'fail', times: 99, status: 500 });
      const { sid } = await signInAndOut(server, a);
      await receiver.waitFor(a.uri, 1);
      const started = Date.now();
      await server.close();
      // 2 s for the deliveries under way, not the 31 s the remaining retries would take.
      expect(Date.now() - started).toBeLessThan(6000);
      const events = (await store.events.page({ clientId: a.clientId }, { limit: 10 })).items.filter((e) => e.type.startsWith('logout.backchannel_'));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'logout.backchannel_failed', data: { sid, reason: 'shutdown' } });
      expect(receiver.for(a.uri).length).toBeLessThan(4);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
