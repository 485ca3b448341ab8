/**
 * DPoP on PostgreSQL (batched token writes, prepared statements) with Redis as the replay cache: a public client's
 * bound code and refresh token, and the refusals that must change nothing.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser } from '../helpers/browser.js';
import { proof, proofKey } from '../helpers/dpop.js';
import { expectTokenError, getJson, obtainCode, postForm } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const redisUrl = process.env.LATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('DPoP on PostgreSQL and Redis', () => {
  const schema = `latch_dpop_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema, redisUrl });
    ts = await startTestServer({ databaseUrl, redisUrl, secret: randomBytes(32).toString('base64url') }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
  });

  it('binds code, access and refresh token to the key; another key, a replay or no proof change nothing', async () => {
    expect(store.dialect).toBe('postgres');
    const user = await ts.user();
    const spa = await ts.client({ kind: 'spa', grantTypes: ['authorization_code', 'refresh_token'] });
    const key = await proofKey();
    const other = await proofKey();
    const tokenUrl = `${ts.issuer}/token`;
    const auth = { clientId: spa.clientId };
    const code = await obtainCode(ts, new Browser(), spa, user, { extra: { dpop_jkt: key.jkt } });
    const body = { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier! };
    expectTokenError(await postForm(tokenUrl, body, auth, { dpop: await proof(other, { htu: tokenUrl }) }), 400, 'invalid_grant');
    const once = await proof(key, { htu: tokenUrl });
    const issued = await postForm(tokenUrl, body, auth, { dpop: once });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body.token_type).toBe('DPoP');

    const refresh = { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string };
    expectTokenError(await postForm(tokenUrl, refresh, auth, { dpop: once }), 400, 'invalid_dpop_proof');
    expectTokenError(await postForm(tokenUrl, refresh, auth, { dpop: await proof(other, { htu: tokenUrl }) }), 400, 'invalid_grant');
    expectTokenError(await postForm(tokenUrl, refresh, auth), 400, 'invalid_dpop_proof');
    const refreshed = await postForm(tokenUrl, refresh, auth, { dpop: await proof(key, { htu: tokenUrl }) });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.token_type).toBe('DPoP');

    const token = refreshed.body.access_token as string;
    const userinfoUrl = `${ts.issuer}/userinfo`;
    const info = await getJson(userinfoUrl, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: userinfoUrl, accessToken: token }) });
    expect(info.status, info.text).toBe(200);
    expect(info.body.sub).toBe(user.sub);
    expect((await getJson(userinfoUrl, { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('a proof used at one instance is refused at another (the replay cache is shared)', async () => {
    const secondStore = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema, redisUrl });
    const two = await startTestServer({ databaseUrl, redisUrl, secret: ts.latch.config.secret, issuer: ts.issuer }, { store: secondStore });
    try {
      const m2m = await ts.client({ kind: 'm2m', scopes: ['read:photos'] });
      const auth = { clientId: m2m.clientId, clientSecret: m2m.clientSecret! };
      const body = { grant_type: 'client_credentials', scope: 'read:photos' };
      const once = await proof(await proofKey(), { htu: `${ts.issuer}/token` });
      const first = await postForm(`${ts.url}/token`, body, auth, { dpop: once });
      expect(first.status, first.text).toBe(200);
      expectTokenError(await postForm(`${two.url}/token`, body, auth, { dpop: once }), 400, 'invalid_dpop_proof');
      const fresh = await postForm(`${two.url}/token`, body, auth, { dpop: await proof(await proofKey(), { htu: `${ts.issuer}/token` }) });
      expect(fresh.status, fresh.text).toBe(200);
      expect(fresh.body.token_type).toBe('DPoP');
    } finally {
      await two.close();
      await secondStore.close();
    }
  });
});
