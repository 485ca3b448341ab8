/**
 * Latch on PostgreSQL + Redis (LATCH_REDIS_URL): the interaction of a sign-in, the login throttling and the
 * client-assertion replay cache live in Redis, shared by two instances on the same schema and key prefix; and a
 * Redis outage answers 503 and heals by itself.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { redisProcess, type RedisProcess } from '../../src/storage/redis/test-helpers.js';
import { Browser, findConsentForm, findLoginForm, postLogin, type Page } from '../helpers/browser.js';
import { codeFlowUrl, openLoginPage, random, tokenRequest } from '../helpers/oauth.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const redisUrl = process.env.LATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of redis.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) found.push(...keys);
  return found;
}

async function sqlRows(store: OpenedStore, table: 'interactions' | 'replay' | 'rate_limits'): Promise<number> {
  return Number((await store.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

describe('two instances on PostgreSQL + Redis', () => {
  const schema = `latch_redis_${randomBytes(6).toString('hex')}`;
  const prefix = `latch-test:${randomBytes(6).toString('hex')}:`;
  const secret = randomBytes(32).toString('base64url');
  const redis = new Redis(redisUrl);
  const stores: OpenedStore[] = [];
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) stores.push(await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema, redisUrl, redisKeyPrefix: prefix }));
    a = await startTestServer({ databaseUrl, redisUrl, secret, throttleMaxFailures: 4 }, { store: stores[0]! });
    b = await startTestServer({ databaseUrl, redisUrl, secret, throttleMaxFailures: 4 }, { store: stores[1]! });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(stores[0]!.kysely);
    for (const store of stores) await store.close();
    const left = await keysUnder(redis, `${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });

  it('signs in with openid-client; the interaction is in Redis during the login, none in SQL', async () => {
    const user = await a.user({ name: 'Grace Hopper' });
    const app = await a.client({ kind: 'spa' });
    const config = await discover(a, app);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = new Browser();
    const login = await browser.navigate(url, { stopAt: app.redirectUri });
    if (login.kind !== 'page') throw new Error('expected the login page');
    const interactions = await keysUnder(redis, `${prefix}ix:*`);
    const ofThisApp = [];
    for (const key of interactions) if ((await redis.hget(key, 'client')) === app.clientId) ofThisApp.push(key);
    expect(ofThisApp).toHaveLength(1);
    expect(await redis.hget(ofThisApp[0]!, 'sub')).toBe('');
    expect(await sqlRows(stores[0]!, 'interactions')).toBe(0);

    let result = await browser.submit(findLoginForm(login.page)!, { email: user.email, password: user.password }, { stopAt: app.redirectUri });
    const consent = result.kind === 'page' ? findConsentForm(result.page) : undefined;
    if (!consent) throw new Error('expected the consent page');
    // Between login and consent the interaction in Redis names who signed in.
    expect(await redis.hget(ofThisApp[0]!, 'sub')).toBe(user.sub);
    result = await browser.submit(consent, { decision: 'allow' }, { stopAt: app.redirectUri });
    if (result.kind !== 'redirect') throw new Error(`expected the callback, got ${result.page.status}`);
    expect(await redis.exists(ofThisApp[0]!)).toBe(0);
    const tokens = await client.authorizationCodeGrant(config, result.url, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    expect((await client.fetchUserInfo(config, tokens.access_token, user.sub)).name).toBe('Grace Hopper');
  });

  it('throttles sign-in failures counted by both instances (429 on the other one), in Redis', async () => {
    const person = await a.user();
    const web: TestClient = await a.client({ kind: 'web' });
    const attempt = async (ts: TestServer, password: string): Promise<Page> => {
      const browser = new Browser();
      return postLogin(browser, await openLoginPage(ts, web, browser), person.email, password);
    };
    const statuses: number[] = [];
    for (const ts of [a, b, a, b]) statuses.push((await attempt(ts, 'wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    const locked = await attempt(b, person.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt(a, person.password)).status).toBe(429);
    expect((await keysUnder(redis, `${prefix}rate:*`)).length).toBeGreaterThan(0);
    expect(await sqlRows(stores[0]!, 'rate_limits')).toBe(0);
  });

  it('refuses a private_key_jwt client assertion replayed at the other instance (the jti is in Redis)', async () => {
    const keys = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const m2m = await a.client({ kind: 'm2m', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(m2m.clientId)
      .setSubject(m2m.clientId)
      .setAudience([a.issuer, b.issuer])
      .setJti(random())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(keys.privateKey);
    const body = {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const first = await tokenRequest(a, body);
    expect(first.status, first.text).toBe(200);
    const replayed = await tokenRequest(b, body);
    expect(replayed.status, replayed.text).toBe(401);
    expect(replayed.body?.error).toBe('invalid_client');
    expect(await keysUnder(redis, `${prefix}replay:jti:${m2m.clientId}:*`)).toHaveLength(1);
    expect(await sqlRows(stores[0]!, 'replay')).toBe(0);
  });
});

describe('a Redis outage', () => {
  const schema = `latch_redis_${randomBytes(6).toString('hex')}`;
  let server: RedisProcess;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    server = await redisProcess();
    await server.start();
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema, redisUrl: server.url });
    ts = await startTestServer({ databaseUrl, redisUrl: server.url }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
    await server?.stop();
  });

  it('answers 503 with Retry-After while Redis is down, without ending the process, and heals when it is back', async () => {
    const web = await ts.client({ kind: 'web' });
    const open = () => new Browser().navigate(codeFlowUrl(ts, web), { stopAt: web.redirectUri });
    const before = await open();
    expect(before.kind === 'page' && before.page.status).toBe(200);

    await server.stop();
    const started = Date.now();
    const down = await open();
    expect(Date.now() - started).toBeLessThan(2000);
    if (down.kind !== 'page') throw new Error('expected an error page');
    expect(down.page.status).toBe(503);
    expect(Number(down.page.headers.get('retry-after'))).toBeGreaterThan(0);

    await server.start();
    const deadline = Date.now() + 8000;
    let status = 0;
    while (Date.now() < deadline) {
      const again = await open();
      status = again.kind === 'page' ? again.page.status : 0;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  });
});
