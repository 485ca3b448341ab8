/**
 * Issue 14: three Latch processes on one PostgreSQL database behind a real HAProxy (round robin, no stickiness).
 * Whatever one instance knows, the others know: the sign-in journey, codes, refresh tokens, keys, clients and
 * sign-in failures live in the database. Steps sent straight to instance k % 3 prove it step by step; the same
 * flow through HAProxy proves the balancer set-up. Last, one instance is killed under load.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API } from '../../src/admin/builtins.js';
import { Browser, findConsentForm, findLoginForm, hiddenFields, postLogin, type Page } from '../helpers/browser.js';
import { sleep } from '../helpers/device.js';
import { codeFlowUrl, expectTokenError, expectTokens, FULL_SCOPE, type HttpResult, isActive, obtainCode, obtainTokens, postForm, redeemCode, tokenRequest, userinfo } from '../helpers/oauth.js';
import { startCluster, type Cluster, type Instance } from '../helpers/cluster.js';
import type { TestClient, TestServer, TestUser } from '../helpers/server.js';

let cluster: Cluster;
let user: TestUser;
let web: TestClient;

beforeAll(async () => {
  cluster = await startCluster({ instances: 3 });
  user = await cluster.user();
  web = await cluster.client({ kind: 'web' });
});
afterAll(async () => {
  await cluster?.close();
});

const on = (i: number): TestServer => cluster.instances[i % cluster.instances.length]!.server;
const refresh = (ts: TestServer, refreshToken: string) => tokenRequest(ts, { grant_type: 'refresh_token', refresh_token: refreshToken }, web);
const clientCredentials = (ts: TestServer, c: TestClient) => tokenRequest(ts, { grant_type: 'client_credentials' }, c);

/** Repeats `attempt` while it still answers 200 (a change not yet seen), for at most `ms`; returns the last answer. */
async function untilRefused(attempt: () => Promise<HttpResult>, ms = 2000): Promise<HttpResult> {
  const started = Date.now();
  for (;;) {
    const res = await attempt();
    if (res.status !== 200 || Date.now() - started > ms) return res;
    await sleep(100);
  }
}

async function adminToken(): Promise<string> {
  const admin = await cluster.client({ kind: 'm2m', extraScopes: ['admin:read', 'admin:write'] });
  const res = await postForm(`${cluster.issuer}/token`, { grant_type: 'client_credentials', resource: ADMIN_API, scope: 'admin:read admin:write' }, admin);
  return expectTokens(res).access_token as string;
}

async function adminCall(instance: Instance, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${await adminToken()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${instance.url}/admin/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

it('runs docs/haproxy.cfg, the file docs/production.md shows', async () => {
  const docs = resolve(import.meta.dirname, '../../docs');
  const guide = await readFile(join(docs, 'production.md'), 'utf8');
  expect(guide).toContain(`\`\`\`haproxy\n${await readFile(join(docs, 'haproxy.cfg'), 'utf8')}\`\`\``);
});

describe('the code flow across three instances', () => {
  it('sends every step to the next instance directly (issuer: the balancer): authorize, login, consent, token and userinfo', async () => {
    const steps: { step: string; instance: number }[] = [];
    let turn = 0;
    /** The URL on the instance whose turn it is. */
    const next = (url: string | URL, step: string): URL => {
      const target = new URL(url);
      const instance = cluster.instances[turn++ % 3]!;
      steps.push({ step, instance: instance.index });
      return new URL(target.pathname + target.search, instance.url);
    };
    const routed: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const step = url.pathname.endsWith('/token') ? 'token' : url.pathname.endsWith('/userinfo') ? 'userinfo' : 'discovery';
      return fetch(next(url, step), init);
    };
    const config = await client.discovery(new URL(cluster.issuer), web.clientId, { client_secret: web.clientSecret! }, client.ClientSecretBasic(web.clientSecret!), {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: routed,
    });
    expect(config.serverMetadata().issuer).toBe(cluster.issuer);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizeUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid profile offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });

    const browser = new Browser();
    let page: Page = await browser.request(next(authorizeUrl, 'authorize'));
    let callback: URL | undefined;
    for (let hop = 0; hop < 12 && callback === undefined; hop++) {
      if (page.location) {
        if (page.location.href.startsWith(web.redirectUri)) callback = page.location;
        else page = await browser.request(next(page.location, 'interaction'));
        continue;
      }
      const login = findLoginForm(page);
      const consent = findConsentForm(page);
      const form = login ?? consent;
      if (!form) throw new Error(`unexpected page ${page.status} ${page.url.href}\n${page.body.slice(0, 800)}`);
      const body = hiddenFields(form);
      if (login) {
        body.set('email', user.email);
        body.set('password', user.password);
      } else body.set('decision', 'allow');
      page = await browser.request(next(form.action, login ? 'login' : 'consent'), { method: 'POST', body });
    }
    expect(callback, 'the browser came back to the client').toBeDefined();
    const tokens = await client.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    expect(tokens.claims()?.iss).toBe(cluster.issuer);
    const info = await client.fetchUserInfo(config, tokens.access_token, user.sub);
    expect(info.sub).toBe(user.sub);

    const named = steps.map((s) => s.step);
    for (const step of ['authorize', 'login', 'consent', 'token', 'userinfo']) expect(named).toContain(step);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.instance, JSON.stringify(steps)).not.toBe(steps[i - 1]!.instance);
    expect(new Set(steps.map((s) => s.instance)).size).toBe(3);
    console.log(`steps: ${steps.map((s) => `${s.step}@${s.instance}`).join(' ')}`);
  });

  it('runs the same flow through HAProxy, which spreads the requests over all three (its per-server counters)', async () => {
    const before = await cluster.serverStats();
    const config = await client.discovery(new URL(cluster.issuer), web.clientId, { client_secret: web.clientSecret! }, client.ClientSecretBasic(web.clientSecret!), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const result = await new Browser().authorize(url, { stopAt: web.redirectUri, credentials: user, decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect((await client.fetchUserInfo(config, tokens.access_token, user.sub)).sub).toBe(user.sub);
    const after = await cluster.serverStats();
    const served = Object.keys(after).map((name) => Number(after[name]!.req_tot) - Number(before[name]!.req_tot));
    // Round robin without stickiness: every instance answered a part of this one sign-in.
    for (const n of served) expect(n, served.join(',')).toBeGreaterThanOrEqual(1);
  });
});

describe('one-time artifacts across instances', () => {
  it('rotates refresh tokens across instances and detects a reuse sent to another one', async () => {
    const { tokens } = await obtainTokens(cluster.lb, new Browser(), web, user, { scope: FULL_SCOPE });
    const second = expectTokens(await refresh(on(0), tokens.refresh_token));
    const third = expectTokens(await refresh(on(1), second.refresh_token));
    const fourth = expectTokens(await refresh(on(2), third.refresh_token));
    expect(new Set([tokens.refresh_token, second.refresh_token, third.refresh_token, fourth.refresh_token]).size).toBe(4);
    expect((await userinfo(on(0), fourth.access_token)).status).toBe(200);
    // RT2 was used after RT1: RT1 again (on yet another instance) revokes the family (RFC 9700 §4.14.2).
    expectTokenError(await refresh(on(0), tokens.refresh_token), 400, 'invalid_grant');
    expect(await isActive(on(1), fourth.access_token, web)).toBe(false);
    expectTokenError(await refresh(on(2), fourth.refresh_token), 400, 'invalid_grant');
  });

  it('answers five simultaneous refreshes of one token, spread over the instances, with the same successor', async () => {
    const { tokens } = await obtainTokens(cluster.lb, new Browser(), web, user, { scope: FULL_SCOPE });
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => refresh(on(i), tokens.refresh_token)));
    const bodies = answers.map((res) => expectTokens(res));
    expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.access_token)).size).toBe(5);
    const successor = bodies[0]!.refresh_token as string;
    expect(successor).not.toBe(tokens.refresh_token);
    for (let i = 0; i < 3; i++) expect((await userinfo(on(i), bodies[i]!.access_token)).status).toBe(200);
    // The grant stays alive: the successor rotates on any instance, and reuse detection still works afterwards.
    const next = expectTokens(await refresh(on(1), successor));
    expect(await isActive(on(2), next.access_token, web)).toBe(true);
    const after = expectTokens(await refresh(on(2), next.refresh_token));
    expectTokenError(await refresh(on(0), successor), 400, 'invalid_grant');
    expect(await isActive(on(1), after.access_token, web)).toBe(false);
  });

  it('redeems one code sent to three instances at once exactly once, and revokes what it gave (RFC 6749 §4.1.2)', async () => {
    const code = await obtainCode(cluster.lb, new Browser(), web, user, { scope: FULL_SCOPE });
    const answers = await Promise.all([0, 1, 2].map((i) => redeemCode(on(i), web, code)));
    const won = answers.filter((res) => res.status === 200);
    expect(won, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toHaveLength(1);
    for (const lost of answers.filter((res) => res.status !== 200)) expectTokenError(lost, 400, 'invalid_grant');
    const tokens = won[0]!.body;
    for (let i = 0; i < 3; i++) {
      expect(await isActive(on(i), tokens.access_token, web)).toBe(false);
      expect(await isActive(on(i), tokens.refresh_token, web)).toBe(false);
    }
    expectTokenError(await refresh(on(0), tokens.refresh_token), 400, 'invalid_grant');
  });
});

describe('changes made through one instance', () => {
  it('`latch keys rotate` against the database is seen by every instance: JWKS, and ID tokens signed by the new key', async () => {
    const { tokens } = await obtainTokens(cluster.lb, new Browser(), web, user, { scope: FULL_SCOPE });
    const { stdout } = await cluster.cli(['keys', 'rotate', '--json']);
    const rotated = JSON.parse(stdout) as { activated: string[]; created: string[] };
    expect(rotated.activated.length).toBeGreaterThan(0);
    let refreshToken = tokens.refresh_token as string;
    for (const instance of cluster.instances) {
      await expect
        .poll(async () => ((await (await fetch(`${instance.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid), { timeout: 5000, interval: 100 })
        .toEqual(expect.arrayContaining(rotated.created));
      // The instance signs with a key the rotation activated (refresh until its key ring has caught up).
      const started = Date.now();
      let kid: string | undefined;
      let idToken = '';
      while (Date.now() - started < 5000) {
        const answer = expectTokens(await refresh(instance.server, refreshToken));
        refreshToken = answer.refresh_token;
        idToken = answer.id_token;
        kid = decodeProtectedHeader(idToken).kid;
        if (rotated.activated.includes(kid!)) break;
        await sleep(100);
      }
      expect(rotated.activated).toContain(kid);
      // And another instance's JWKS verifies it.
      const jwks = (await (await fetch(`${on(instance.index + 1).url}/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer: cluster.issuer, audience: web.clientId });
      expect(payload.sub).toBe(user.sub);
    }
  });

  it('a client deleted through one instance is refused by all (invalid_client)', async () => {
    const m2m = await cluster.client({ kind: 'm2m' });
    for (let i = 0; i < 3; i++) expectTokens(await clientCredentials(on(i), m2m));
    expect((await adminCall(cluster.instances[0]!, 'DELETE', `/clients/${encodeURIComponent(m2m.clientId)}`)).status).toBe(204);
    for (let i = 0; i < 3; i++) expectTokenError(await untilRefused(() => clientCredentials(on(i), m2m)), 401, 'invalid_client');
  });

  it('a client secret rotated through one instance: the old one is refused by all, the new one accepted by all', async () => {
    const m2m = await cluster.client({ kind: 'm2m' });
    for (let i = 0; i < 3; i++) expectTokens(await clientCredentials(on(i), m2m));
    const res = await adminCall(cluster.instances[1]!, 'POST', `/clients/${encodeURIComponent(m2m.clientId)}/secret`, {});
    expect(res.status).toBe(200);
    const rotated = { clientId: m2m.clientId, redirectUri: '', clientSecret: ((await res.json()) as { client_secret: string }).client_secret };
    for (let i = 0; i < 3; i++) expectTokenError(await untilRefused(() => clientCredentials(on(i), m2m)), 401, 'invalid_client');
    for (let i = 0; i < 3; i++) expectTokens(await clientCredentials(on(i), rotated));
  });

  it('counts sign-in failures spread over the instances together: the account locks as on one instance (429)', async () => {
    const target = await cluster.user();
    const signIn = async (ts: TestServer, password: string) => {
      const browser = new Browser();
      const login = await browser.navigate(codeFlowUrl(ts, web), { stopAt: web.redirectUri });
      if (login.kind !== 'page') throw new Error('expected the login page');
      return postLogin(browser, login.page, target.email, password);
    };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await signIn(on(i), `wrong-${i}`)).status);
    // LATCH_THROTTLE_MAX_FAILURES (5) per account and address, wherever they were tried.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    for (let i = 0; i < 3; i++) expect((await signIn(on(i), target.password)).status).toBe(429);
  });
});

describe('the client address behind HAProxy', () => {
  it('every instance records the address HAProxy saw (option forwardfor, LATCH_TRUST_PROXY), not a forged one', async () => {
    const target = await cluster.user();
    const before = await cluster.serverStats();
    for (let i = 0; i < 3; i++) {
      // Four requests per round (this one, authorize, login page, the post): round robin sends each post elsewhere.
      expect((await fetch(`${cluster.issuer}/jwks`)).status).toBe(200);
      const browser = new Browser();
      const login = await browser.navigate(codeFlowUrl(cluster.lb, web), { stopAt: web.redirectUri });
      if (login.kind !== 'page') throw new Error('expected the login page');
      const form = findLoginForm(login.page)!;
      const body = hiddenFields(form);
      body.set('email', target.email);
      body.set('password', `wrong-${i}`);
      const cookie = Object.entries(browser.cookies(form.action)).map(([k, v]) => `${k}=${v}`).join('; ');
      // From 127.0.0.2${i}, claiming another address: straight to HAProxy, which adds the one it saw.
      const status = await new Promise<number>((done, fail) => {
        const req = httpRequest(form.action, { method: 'POST', localAddress: `127.0.0.2${i}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.9' } }, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        });
        req.on('error', fail);
        req.end(body.toString());
      });
      expect(status).toBe(401);
    }
    const addresses = async () => (await cluster.store.events.page({ type: 'login.failed', sub: target.sub }, { limit: 10 })).items.map((e) => e.address).sort();
    await expect.poll(addresses).toEqual(['127.0.0.20', '127.0.0.21', '127.0.0.22']);
    const after = await cluster.serverStats();
    for (const name of Object.keys(after)) expect(Number(after[name]!.hrsp_4xx) - Number(before[name]!.hrsp_4xx), name).toBe(1);
  });
});

describe('an instance killed under load', () => {
  it('SIGKILL of one instance during client credentials through HAProxy: the others answer, every issued token stays active', async () => {
    const m2m = await cluster.client({ kind: 'm2m' });
    const CONCURRENCY = 12;
    const DURATION = 4000;
    const results: { status: number; token?: string; at: number }[] = [];
    const started = Date.now();
    let killedAt = 0;
    const victim = cluster.instances[2]!;
    const killer = sleep(DURATION / 3).then(async () => {
      killedAt = Date.now();
      await victim.kill('SIGKILL');
    });
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() - started < DURATION) {
          const res = await clientCredentials(cluster.lb, m2m).catch(() => ({ status: 0, body: undefined }) as unknown as HttpResult);
          results.push({ status: res.status, token: res.status === 200 ? res.body.access_token : undefined, at: Date.now() });
        }
      }),
    );
    await killer;
    const byStatus = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    // Only requests in flight on the killed instance may fail (HAProxy retries most of them: retry-on, redispatch).
    const failed = results.filter((r) => r.status !== 200);
    expect(failed.length, JSON.stringify(byStatus)).toBeLessThanOrEqual(CONCURRENCY);
    for (const r of failed) expect([502, 503, 504], JSON.stringify(byStatus)).toContain(r.status);
    expect(results.filter((r) => r.status === 200 && r.at > killedAt + 500).length).toBeGreaterThan(10);
    console.log(`kill under load: ${results.length} requests, by status ${JSON.stringify(byStatus)}`);

    // Nothing acknowledged is lost: every token whose 200 was received introspects active on the survivors.
    const tokens = results.flatMap((r) => (r.token ? [r.token] : []));
    let inactive = 0;
    for (let i = 0; i < tokens.length; i += CONCURRENCY) {
      const batch = await Promise.all(tokens.slice(i, i + CONCURRENCY).map((t, j) => isActive(on(j % 2), t, m2m)));
      inactive += batch.filter((active) => !active).length;
    }
    expect(inactive).toBe(0);
    await expect.poll(async () => (await cluster.serverStats()).i2!.status, { timeout: 5000 }).toMatch(/DOWN/);
  });
});
