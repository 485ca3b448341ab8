import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser } from '../helpers/browser.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/** The whole code flow with the server on PostgreSQL (the contract suite covers the repositories one by one). */
describe('authorization code flow on PostgreSQL', () => {
  const schema = `latch_flow_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
    // PostgreSQL needs LATCH_SECRET: every instance must decrypt the same signing keys.
    ts = await startTestServer({ databaseUrl, secret: randomBytes(32).toString('base64url') }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
  });

  it('signs in, refreshes with rotation, and detects refresh token reuse', async () => {
    expect(store.dialect).toBe('postgres');
    const user = await ts.user({ name: 'Grace Hopper' });
    const app = await ts.client({ kind: 'spa' });
    const config = await discover(ts, app);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid profile offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const result = await new Browser().authorize(url, { stopAt: app.redirectUri, credentials: user, decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.name).toBe('Grace Hopper');

    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(rotated.refresh_token).toBeDefined();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    // Inside the reuse interval, a replay while the successor is unused gets that same successor.
    expect((await client.refreshTokenGrant(config, tokens.refresh_token!)).refresh_token).toBe(rotated.refresh_token);
    const after = await client.refreshTokenGrant(config, rotated.refresh_token!);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reuse revoked the family: the newest refresh token is dead too.
    await expect(client.refreshTokenGrant(config, after.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM tokens WHERE revoked_at IS NOT NULL`.execute(store.kysely);
    expect(Number(rows.rows[0]!.n)).toBeGreaterThanOrEqual(3);
  });
});
