/**
 * Parallel refreshes (ARCHITECTURE §5, RFC 9700 §4.14.2): a web server that refreshes per request sends the same
 * refresh token several times at once. Inside LATCH_REFRESH_REUSE_INTERVAL of the rotation, while the successor is
 * unused, every such request gets the same successor back and the grant stays alive; any other reuse revokes the
 * family. On SQLite and on PostgreSQL, each with two instances on one database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser } from '../helpers/browser.js';
import { sleep } from '../helpers/device.js';
import { expectTokenError, expectTokens, FULL_SCOPE, type HttpResult, isActive, obtainTokens, revoke, tokenRequest, userinfo } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

type Tokens = { access_token: string; refresh_token: string };

function refresh(ts: TestServer, c: TestClient, refreshToken: string): Promise<HttpResult> {
  return tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: refreshToken }, c);
}

interface Backend {
  /** Two servers on one database, sharing the server secret (LATCH_SECRET), as a deployment of two instances would. */
  start(overrides?: Record<string, unknown>): Promise<{ ts: TestServer; second: TestServer; close(): Promise<void> }>;
}

function reuseSuite(name: string, backend: Backend): void {
  describe(`parallel refresh on ${name}`, () => {
    let setup: Awaited<ReturnType<Backend['start']>>;
    let shortSetup: Awaited<ReturnType<Backend['start']>>;
    let offSetup: Awaited<ReturnType<Backend['start']>>;
    let ts: TestServer;
    let user: TestUser;
    let web: TestClient;

    beforeAll(async () => {
      setup = await backend.start();
      shortSetup = await backend.start({ refreshReuseInterval: 2 });
      offSetup = await backend.start({ refreshReuseInterval: 0 });
      ts = setup.ts;
      user = await ts.user();
      web = await ts.client({ kind: 'web' });
    });
    afterAll(async () => {
      await setup?.close();
      await shortSetup?.close();
      await offSetup?.close();
    });

    const signIn = async (server: TestServer = ts, c: TestClient = web, u: TestUser = user): Promise<Tokens> =>
      (await obtainTokens(server, new Browser(), c, u, { scope: FULL_SCOPE })).tokens;

    it('answers 50 simultaneous uses of one refresh token with the same new one; the grant stays alive and it works afterwards', async () => {
      const first = await signIn();
      const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(ts, web, first.refresh_token)));
      const bodies: Tokens[] = answers.map((res) => expectTokens(res));
      const successors = new Set(bodies.map((b) => b.refresh_token));
      expect(successors.size).toBe(1);
      const [successor] = [...successors] as [string];
      expect(successor).not.toBe(first.refresh_token);
      expect(new Set(bodies.map((b) => b.access_token)).size).toBe(50);
      for (const b of [bodies[0]!, bodies[49]!]) expect((await userinfo(ts, b.access_token)).status).toBe(200);
      expect(await isActive(ts, successor, web)).toBe(true);
      expect(await isActive(ts, first.access_token, web)).toBe(true);

      const next = expectTokens(await refresh(ts, web, successor));
      expect(next.refresh_token).not.toBe(successor);
      expect((await userinfo(ts, next.access_token)).status).toBe(200);
      expect((await userinfo(ts, bodies[0]!.access_token)).status).toBe(200);
    });

    it('answers a sequential replay inside the interval with the same successor', async () => {
      const first = await signIn();
      const a = expectTokens(await refresh(ts, web, first.refresh_token));
      const b = expectTokens(await refresh(ts, web, first.refresh_token));
      expect(b.refresh_token).toBe(a.refresh_token);
      expect(b.access_token).not.toBe(a.access_token);
      expectTokens(await refresh(ts, web, a.refresh_token));
    });

    it('revokes the family when RT1 is reused after RT2 was used', async () => {
      const first = await signIn();
      const second = expectTokens(await refresh(ts, web, first.refresh_token));
      const third = expectTokens(await refresh(ts, web, second.refresh_token));
      expectTokenError(await refresh(ts, web, first.refresh_token), 400, 'invalid_grant');
      expect(await isActive(ts, third.access_token, web)).toBe(false);
      expect(await isActive(ts, third.refresh_token, web)).toBe(false);
      expectTokenError(await refresh(ts, web, third.refresh_token), 400, 'invalid_grant');
      expect((await userinfo(ts, second.access_token)).status).toBe(401);
    });

    it('revokes the family when RT1 is reused after the interval', async () => {
      const short = shortSetup.ts;
      const shortUser = await short.user();
      const shortWeb = await short.client({ kind: 'web' });
      const first = await signIn(short, shortWeb, shortUser);
      const second = expectTokens(await refresh(short, shortWeb, first.refresh_token));
      expect(expectTokens(await refresh(short, shortWeb, first.refresh_token)).refresh_token).toBe(second.refresh_token);
      // The interval is 2 s, counted in whole seconds: 3.2 s later is outside it.
      await sleep(3200);
      const late = await refresh(short, shortWeb, first.refresh_token);
      expectTokenError(late, 400, 'invalid_grant');
      expect(late.body.error_description).toMatch(/already used/);
      expect(await isActive(short, second.access_token, shortWeb)).toBe(false);
      expectTokenError(await refresh(short, shortWeb, second.refresh_token), 400, 'invalid_grant');
    });

    it('revokes the family on the first replay when the interval is 0', async () => {
      const off = offSetup.ts;
      const offUser = await off.user();
      const offWeb = await off.client({ kind: 'web' });
      const first = await signIn(off, offWeb, offUser);
      const second = expectTokens(await refresh(off, offWeb, first.refresh_token));
      expectTokenError(await refresh(off, offWeb, first.refresh_token), 400, 'invalid_grant');
      expect(await isActive(off, second.access_token, offWeb)).toBe(false);
    });

    it('refuses a widening request without spending the refresh token (with the interval off, nothing hides a spent one)', async () => {
      const off = offSetup.ts;
      const offUser = await off.user();
      const offWeb = await off.client({ kind: 'web' });
      const first = (await obtainTokens(off, new Browser(), offWeb, offUser, { scope: 'openid offline_access' })).tokens;
      const attempt = (extra: Record<string, string>) =>
        tokenRequest(off, { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...extra }, offWeb);
      expectTokenError(await attempt({ scope: 'openid email' }), 400, 'invalid_scope');
      expectTokenError(await attempt({ resource: 'https://no-such-api.example.test/' }), 400, 'invalid_target');
      const next = expectTokens(await refresh(off, offWeb, first.refresh_token));
      expect(await isActive(off, next.access_token, offWeb)).toBe(true);
    });

    it('gives no grace once the grant is revoked', async () => {
      const first = await signIn();
      const second = expectTokens(await refresh(ts, web, first.refresh_token));
      expect((await revoke(ts, second.refresh_token, web)).status).toBe(200);
      expectTokenError(await refresh(ts, web, first.refresh_token), 400, 'invalid_grant');
      expectTokenError(await refresh(ts, web, second.refresh_token), 400, 'invalid_grant');
    });

    it('gives no grace to another client, and an access token is never a refresh token', async () => {
      const other = await ts.client({ kind: 'web' });
      const first = await signIn();
      const second = expectTokens(await refresh(ts, web, first.refresh_token));
      expectTokenError(await refresh(ts, other, first.refresh_token), 400, 'invalid_grant');
      expectTokenError(await refresh(ts, web, second.access_token), 400, 'invalid_grant');
      expect(expectTokens(await refresh(ts, web, first.refresh_token)).refresh_token).toBe(second.refresh_token);
    });

    it('gives no grace once the person is deleted', async () => {
      const gone = await ts.user();
      const first = await signIn(ts, web, gone);
      expectTokens(await refresh(ts, web, first.refresh_token));
      await ts.latch.store.users.delete(gone.sub);
      expectTokenError(await refresh(ts, web, first.refresh_token), 400, 'invalid_grant');
    });

    it('answers simultaneous uses sent to two instances on one database with the same successor', async () => {
      const { second } = setup;
      const first = await signIn();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => refresh(i % 2 === 0 ? ts : second, web, first.refresh_token)));
      const bodies: Tokens[] = answers.map((res) => expectTokens(res));
      expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
      const successor = bodies[0]!.refresh_token;
      const next = expectTokens(await refresh(second, web, successor));
      expect(await isActive(ts, next.access_token, web)).toBe(true);
      // Reuse detection works across the instances too.
      const after = expectTokens(await refresh(ts, web, next.refresh_token));
      expectTokenError(await refresh(second, web, successor), 400, 'invalid_grant');
      expect(await isActive(ts, after.access_token, web)).toBe(false);
    });
  });
}

reuseSuite('SQLite', {
  async start(overrides = {}) {
    // Two servers on one SQLite file (two connections, one process), sharing the server secret.
    const dataDir = await mkdtemp(join(tmpdir(), 'latch-reuse-'));
    const secret = randomBytes(32).toString('base64url');
    const stores: OpenedStore[] = [await openMigratedStore({ dataDir }), await openMigratedStore({ dataDir })];
    const ts = await startTestServer({ secret, ...overrides }, { store: stores[0]! });
    const second = await startTestServer({ secret, ...overrides }, { store: stores[1]! });
    return {
      ts,
      second,
      async close() {
        await second.close();
        await ts.close();
        for (const store of stores) await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});

reuseSuite('PostgreSQL', {
  async start(overrides = {}) {
    const schema = `latch_flow_${randomBytes(6).toString('hex')}`;
    // Two instances share the database and the server secret (LATCH_SECRET), as a deployment would.
    const secret = randomBytes(32).toString('base64url');
    const stores: OpenedStore[] = [await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema })];
    stores.push(await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema }));
    const ts = await startTestServer({ databaseUrl, secret, ...overrides }, { store: stores[0]! });
    const second = await startTestServer({ databaseUrl, secret, ...overrides }, { store: stores[1]! });
    return {
      ts,
      second,
      async close() {
        await second.close();
        await ts.close();
        await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(stores[0]!.kysely);
        for (const store of stores) await store.close();
      },
    };
  },
});
