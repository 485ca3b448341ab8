/**
 * PAR, request objects and JARM with openid-client as the relying party, on two Latch instances sharing one
 * PostgreSQL database: a request pushed to one is used at the other, once; a request object's jti used at one is a
 * replay at the other (the replay cache is shared).
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser, responseParams } from '../helpers/browser.js';
import { random } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestServer, type TestUser } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

describe('PAR, JAR and JARM on PostgreSQL, two instances, openid-client', () => {
  const schema = `latch_par_${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  let stores: OpenedStore[] = [];
  let a: TestServer;
  let b: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    stores = [await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema }), await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema })];
    a = await startTestServer({ databaseUrl, secret }, { store: stores[0]! });
    // The second instance answers for the same issuer (as behind a load balancer).
    b = await startTestServer({ databaseUrl, secret, issuer: a.issuer }, { store: stores[1]! });
    user = await a.user();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (stores[0]) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(stores[0].kysely);
    for (const store of stores) await store.close();
  });

  /** The instance's own URL for a path, with the query of `url` (the issuer is instance a's). */
  const at = (ts: TestServer, url: URL): URL => new URL(`${ts.url}${url.pathname}${url.search}`);

  it('pushes at one instance, uses the request_uri at the other, once, and validates a JARM response', async () => {
    const web = await a.client({ kind: 'web' });
    const config = await discover(a, web);
    client.useJwtResponseMode(config);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid email',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      response_mode: 'query.jwt',
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    // Used at instance b: accepted (the browser is sent to sign in); used again at instance a: refused.
    const first = await new Browser().request(at(b, url));
    expect(first.status).toBe(303);
    expect(first.location!.pathname).toMatch(/^\/interaction\//);
    const again = await new Browser().request(at(a, url));
    expect(again.status).toBe(303);
    expect(again.location!.origin + again.location!.pathname).toBe(web.redirectUri);
    expect(responseParams(again.location!).get('error')).toBe('invalid_request_uri');

    // A fresh push, and the whole flow at b.
    const state2 = client.randomState();
    const url2 = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid email',
      state: state2,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      response_mode: 'query.jwt',
    });
    const done = await new Browser().authorize(at(b, url2), { stopAt: web.redirectUri, credentials: user, decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, done.callback, { pkceCodeVerifier: verifier, expectedState: state2 });
    expect(tokens.claims()?.sub).toBe(user.sub);
  });

  it('signs the request with openid-client (JAR); a jti used at one instance is a replay at the other', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = random(8);
    const web = await a.client({ kind: 'web', tokenEndpointAuthMethod: 'client_secret_basic', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] } });
    const config = await discover(a, web);
    const url = await client.buildAuthorizationUrlWithJAR(
      config,
      { redirect_uri: web.redirectUri, scope: 'openid', state: client.randomState(), code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' },
      { key: privateKey, kid },
    );
    const first = await new Browser().request(at(a, url));
    expect(first.status).toBe(303);
    expect(first.location!.pathname).toMatch(/^\/interaction\//);
    const replay = await new Browser().request(at(b, url));
    expect(replay.status).toBe(303);
    expect(responseParams(replay.location!).get('error')).toBe('invalid_request_object');
  });
});
