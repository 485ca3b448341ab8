/**
 * The claims request and pairwise subjects with the server on PostgreSQL: the claims parameter survives the code,
 * the token endpoint and a refresh token rotation in the stored data, and UserInfo answers its userinfo member for a
 * pairwise client (the SQLite flows run the rest).
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser } from '../helpers/browser.js';
import { createDatabase, type Database } from '../helpers/cluster.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('claims parameter and pairwise subjects on PostgreSQL', () => {
  let db: Database;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    db = await createDatabase('latch_oidc');
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl: db.url });
    ts = await startTestServer({ databaseUrl: db.url, secret: randomBytes(32).toString('base64url') }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await store?.close();
    await db?.drop();
  });

  it('keeps the claims request through code, tokens and refresh, with a pairwise sub', async () => {
    expect(store.dialect).toBe('postgres');
    const user = await ts.user({ profile: { given_name: 'Annie', family_name: 'Easley' } });
    const app = await ts.client({ kind: 'web' });
    const record = await store.clients.find(app.clientId);
    await store.clients.update(app.clientId, { metadata: { ...record!.metadata, subject_type: 'pairwise' } });

    const config = await discover(ts, app, {}, client.ClientSecretBasic(app.clientSecret!));
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      claims: JSON.stringify({ id_token: { given_name: { essential: true } }, userinfo: { family_name: null, email: null } }),
    });
    const result = await new Browser().authorize(url, { stopAt: app.redirectUri, credentials: user, decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.given_name).toBe('Annie');
    expect(claims.family_name).toBeUndefined();
    expect(claims.sub).not.toBe(user.sub);

    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(rotated.claims()?.given_name).toBe('Annie');
    expect(rotated.claims()?.sub).toBe(claims.sub);
    const info = await client.fetchUserInfo(config, rotated.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, family_name: 'Easley', email: user.email });
    expect(info.given_name).toBeUndefined();
  });
});
