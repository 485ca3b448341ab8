/**
 * A device code polled many times at once after approval (RFC 8628 §3.5; RFC 6749 §4.1.2 by analogy): exactly one
 * poll gets tokens, the others get invalid_grant and revoke what the winner got, in every round, on SQLite and
 * PostgreSQL. The grant exists from the approval on, so a loser's revocation never misses the winner's tokens.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser } from '../helpers/browser.js';
import { pollToken, requestDeviceAuthorization, verifyDevice } from '../helpers/device.js';
import { expectTokenError, tokenRequest, userinfo } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const ROUNDS = 20;
const POLLS = 50;

function raceSuite(name: string, start: () => Promise<{ ts: TestServer; close(): Promise<void> }>): void {
  describe(`simultaneous device code redemptions on ${name}`, () => {
    let setup: Awaited<ReturnType<typeof start>>;
    let ts: TestServer;
    let user: TestUser;
    let tv: TestClient;

    beforeAll(async () => {
      setup = await start();
      ts = setup.ts;
      user = await ts.user();
      tv = await ts.client({ kind: 'device' });
    });
    afterAll(async () => {
      await setup?.close();
    });

    it(`gives tokens to exactly one of ${POLLS} polls and revokes them, in each of ${ROUNDS} rounds`, async () => {
      const browser = new Browser();
      for (let round = 0; round < ROUNDS; round++) {
        // Right codes from one address add up too; this test is not about that limit.
        await ts.latch.store.rateLimits.reset('user_code:ip:127.0.0.1');
        const authorization = await requestDeviceAuthorization(ts, tv);
        await verifyDevice(browser, authorization.verification_uri_complete, { user, decision: 'allow' });
        const answers = await Promise.all(Array.from({ length: POLLS }, () => pollToken(ts, tv, authorization.device_code)));
        const winners = answers.filter((res) => res.status === 200);
        expect(winners, `round ${round}`).toHaveLength(1);
        for (const res of answers) if (res.status !== 200) expectTokenError(res, 400, 'invalid_grant');
        const tokens = winners[0]!.body as { access_token: string; refresh_token: string };
        expect((await userinfo(ts, tokens.access_token)).status, `round ${round}: the winner's access token`).toBe(401);
        const refreshed = await tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, tv);
        expectTokenError(refreshed, 400, 'invalid_grant');
      }
    });
  });
}

raceSuite('SQLite', async () => {
  const ts = await startTestServer({ deviceCodeInterval: 1 });
  return { ts, close: () => ts.close() };
});

raceSuite('PostgreSQL', async () => {
  const schema = `latch_flow_${randomBytes(6).toString('hex')}`;
  const store: OpenedStore = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
  const ts = await startTestServer({ databaseUrl, deviceCodeInterval: 1 }, { store });
  return {
    ts,
    async close() {
      await ts.close();
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
      await store.close();
    },
  };
});
