/**
 * Issue 14, observability: /healthz and /readyz on the public port; Prometheus metrics on their own listener only
 * (one registry per server); an access line per request that never holds a credential or a query string.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { expectTokenError, expectTokens, getJson, obtainCode, postForm, redeemCode } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';
import { openMigratedStore, openStore, type OpenedStore } from '../../src/storage/open.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/** Log lines the server wrote, parsed. */
function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

async function scrape(ts: TestServer): Promise<string> {
  const res = await fetch(`${ts.latch.metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, e.g. value(text, 'latch_tokens_issued_total{grant_type="client_credentials",client_type="confidential"}'). */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

describe('health, readiness, metrics and the access log', () => {
  let ts: TestServer;
  let other: TestServer;
  let m2m: TestClient;
  const log = logSink();

  beforeAll(async () => {
    ts = await startTestServer({ metricsAddress: '127.0.0.1:0', logLevel: 'info', throttleMaxFailures: 2, throttleMaxDelay: 0 }, { logStream: log.stream });
    other = await startTestServer({ metricsAddress: '127.0.0.1:0' });
    m2m = await ts.client({ kind: 'm2m' });
  });
  afterAll(async () => {
    await ts?.close();
    await other?.close();
  });

  it('GET /healthz is 200 {"status":"ok"} and /readyz 200 {"status":"ready"}, never cached', async () => {
    const health = await getJson(`${ts.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers.get('cache-control')).toBe('no-store');
    const ready = await getJson(`${ts.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
    expect(ready.headers.get('cache-control')).toBe('no-store');
  });

  it('/readyz is 503 with a reason while a migration is missing, and ready again once it is back', async () => {
    const kysely = ts.latch.store.kysely;
    const { rows } = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(kysely);
    const last = rows[0]!;
    await sql`delete from kysely_migration where name = ${last.name}`.execute(kysely);
    try {
      const res = await getJson(`${ts.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', reason: expect.stringMatching(new RegExp(`^migrations: 1 pending \\(${last.name}\\)`)) });
      expect(res.headers.get('cache-control')).toBe('no-store');
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${last.name}, ${last.timestamp})`.execute(kysely);
    }
    expect((await getJson(`${ts.url}/readyz`)).status).toBe(200);
  });

  it('/metrics is not served on the public port', async () => {
    const res = await fetch(`${ts.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('latch_');
  });

  it('counts requests by route template and status, tokens by grant and client type, failures by error, 429s by route', async () => {
    const unmatchedBefore = value(await scrape(ts), 'latch_http_requests_total{route="unmatched",method="GET",status="404"}');
    expectTokens(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, m2m));
    expectTokens(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, m2m));
    // Another client's secret guessed until the throttle locks it from this address.
    const locked = await ts.client({ kind: 'm2m' });
    const wrong = { clientId: locked.clientId, clientSecret: 'not-the-secret' };
    expectTokenError(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, wrong), 401, 'invalid_client');
    expectTokenError(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, wrong), 401, 'invalid_client');
    expectTokenError(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, wrong), 429, 'invalid_client');
    expect((await fetch(`${ts.url}/no/such/path-12345?code=secret-code-value`)).status).toBe(404);

    const text = await scrape(ts);
    expect(value(text, 'latch_http_requests_total{route="/token",method="POST",status="200"}')).toBe(2);
    expect(value(text, 'latch_http_requests_total{route="/token",method="POST",status="401"}')).toBe(2);
    expect(value(text, 'latch_http_requests_total{route="/token",method="POST",status="429"}')).toBe(1);
    expect(value(text, 'latch_http_request_duration_seconds_count{route="/token",method="POST"}')).toBe(5);
    expect(value(text, 'latch_tokens_issued_total{grant_type="client_credentials",client_type="confidential"}')).toBe(2);
    expect(value(text, 'latch_token_failures_total{error="invalid_client"}')).toBe(3);
    expect(value(text, 'latch_rate_limited_total{route="/token"}')).toBe(1);
    // Unknown URLs share one label; the URL itself (and its query) is never a label.
    expect(value(text, 'latch_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(unmatchedBefore + 1);
    expect(text).not.toContain('no/such/path');
    expect(text).not.toContain('secret-code-value');
  });

  it('times store statements by dialect and kind, sizes SQLite commit batches, and has the process defaults', async () => {
    const text = await scrape(ts);
    expect(value(text, 'latch_store_query_duration_seconds_count{dialect="sqlite",kind="select"}')).toBeGreaterThan(0);
    expect(value(text, 'latch_store_query_duration_seconds_count{dialect="sqlite",kind="insert"}')).toBeGreaterThan(0);
    expect(value(text, 'latch_sqlite_commit_batch_size_count')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toContain('latch_postgres_pool_connections 0');
  });

  it('counts sign-ins by outcome, from the audit events', async () => {
    const web = await ts.client({ kind: 'web' });
    const user = await ts.user();
    const code = await obtainCode(ts, new Browser(), web, user);
    expectTokens(await redeemCode(ts, web, code));
    const text = await scrape(ts);
    expect(value(text, 'latch_sign_ins_total{outcome="succeeded"}')).toBe(1);
    expect(value(text, 'latch_events_total{type="login.succeeded"}')).toBe(1);
    expect(value(text, 'latch_events_total{type="consent.granted"}')).toBe(1);
    expect(value(text, 'latch_tokens_issued_total{grant_type="authorization_code",client_type="confidential"}')).toBe(1);
  });

  it('keeps one registry per server: another server in the same process counts only its own requests', async () => {
    expect((await getJson(`${other.url}/.well-known/openid-configuration`)).status).toBe(200);
    const text = await scrape(other);
    expect(value(text, 'latch_http_requests_total{route="/token",method="POST",status="200"}')).toBe(0);
    expect(value(text, 'latch_http_requests_total{route="/.well-known/openid-configuration",method="GET",status="200"}')).toBe(1);
    // prom-client's default metrics live in every registry, not only the first of the process.
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('writes one access line per request: method, route, status, duration, client_id, address; no credential, no query string', async () => {
    log.lines.length = 0;
    expectTokens(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, m2m));
    const web = await ts.client({ kind: 'web' });
    const authorize = new URL(`${ts.url}/authorize`);
    const query = { response_type: 'code', client_id: web.clientId, redirect_uri: web.redirectUri, scope: 'openid', code_challenge: 'challenge-value-123-abcdefghijklmnopqrstuvwx', code_challenge_method: 'S256', state: 'state-value-456' };
    for (const [k, v] of Object.entries(query)) authorize.searchParams.set(k, v);
    expect((await fetch(authorize, { redirect: 'manual' })).status).toBe(303);
    await getJson(`${ts.url}/healthz`);
    await getJson(`${ts.url}/readyz`);
    await expect.poll(() => log.lines.filter((l) => l.event === 'http.request').length).toBe(2);
    const access = log.lines.filter((l) => l.event === 'http.request');
    expect(access[0]).toMatchObject({ level: 30, method: 'POST', route: '/token', status: 200, client_id: m2m.clientId, remoteAddress: '127.0.0.1', msg: 'request' });
    expect(access[0]?.ms).toEqual(expect.any(Number));
    expect(access[1]).toMatchObject({ method: 'GET', route: '/authorize', status: 303, client_id: web.clientId });
    const all = JSON.stringify(log.lines);
    expect(all).not.toContain(m2m.clientSecret!);
    expect(all).not.toContain('challenge-value-123');
    expect(all).not.toContain('state-value-456');
    expect(all).not.toMatch(/authorization|access_token|"cookie"/i);
    // The probes are not logged at info.
    expect(access.map((l) => l.route)).not.toContain('/healthz');
  });
});

describe('settings', () => {
  it('LATCH_ACCESS_LOG=false writes no access lines', async () => {
    const log = logSink();
    const quiet = await startTestServer({ logLevel: 'info', accessLog: false }, { logStream: log.stream });
    try {
      expect((await getJson(`${quiet.url}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await getJson(`${quiet.url}/healthz`)).status).toBe(200);
      expect(log.lines.filter((l) => l.event === 'http.request')).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('a metrics address already in use fails the start, naming LATCH_METRICS_ADDRESS', async () => {
    const first = await startTestServer({ metricsAddress: '127.0.0.1:0' });
    try {
      const taken = new URL(first.latch.metricsUrl!).host;
      await expect(startTestServer({ metricsAddress: taken })).rejects.toThrow(
        new RegExp(`^LATCH_METRICS_ADDRESS: ${taken.replace(/\./g, '\\.')} is already in use`),
      );
    } finally {
      await first.close();
    }
  });
});

describe('on PostgreSQL', () => {
  const schema = `latch_obs_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let ts: TestServer;

  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
    ts = await startTestServer({ metricsAddress: '127.0.0.1:0' }, { store });
  });
  afterAll(async () => {
    await ts?.close();
    await store?.close();
    const admin = await openStore({ dataDir: '/nonexistent', databaseUrl });
    try {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.kysely);
    } finally {
      await admin.close();
    }
  });

  it('shows the pool (connections, idle, waiting) and times statements under dialect postgres', async () => {
    const m2m = await ts.client({ kind: 'm2m' });
    expectTokens(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, m2m));
    const text = await scrape(ts);
    expect(value(text, 'latch_postgres_pool_connections')).toBeGreaterThan(0);
    expect(value(text, 'latch_postgres_pool_idle')).toBeGreaterThan(0);
    expect(text).toMatch(/^latch_postgres_pool_waiting 0$/m);
    expect(value(text, 'latch_store_query_duration_seconds_count{dialect="postgres",kind="select"}')).toBeGreaterThan(0);
    expect(value(text, 'latch_store_query_duration_seconds_count{dialect="postgres",kind="insert"}')).toBeGreaterThan(0);
    expect(text).not.toContain('latch_sqlite_commit_batch_size_count 1');
  });

  it('/readyz answers 503 when the database takes longer than 2 s to answer (a lock held elsewhere)', async () => {
    const other = await openStore({ dataDir: '/nonexistent', databaseUrl, schema });
    try {
      const reply = await other.kysely.transaction().execute(async (trx) => {
        await sql`lock table kysely_migration in access exclusive mode`.execute(trx);
        const started = Date.now();
        const [res, ...others] = await Promise.all([1, 2, 3].map(() => getJson(`${ts.url}/readyz`)));
        const tookMs = Date.now() - started;
        // The three probes waited on one query: one connection of the pool blocked, not three.
        const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_locks where relation = ${`${schema}.kysely_migration`}::regclass and not granted`.execute(trx);
        return { res: res!, others, tookMs, waiting: rows[0]?.waiting };
      });
      expect(reply.others.map((r) => r.status)).toEqual([503, 503]);
      expect(reply.waiting).toBe(1);
      expect(reply.res.status).toBe(503);
      expect(reply.res.body).toEqual({ status: 'unavailable', reason: 'store: no answer within 2000 ms' });
      expect(reply.tookMs).toBeGreaterThanOrEqual(1900);
      expect(reply.tookMs).toBeLessThan(4000);
    } finally {
      await other.close();
    }
    await expect.poll(async () => (await getJson(`${ts.url}/readyz`)).status).toBe(200);
  });

  it('/readyz answers 503 with the store reason when the database is gone, while /healthz stays 200', async () => {
    expect((await getJson(`${ts.url}/readyz`)).status).toBe(200);
    await store.close();
    const res = await getJson(`${ts.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^store: ./) });
    expect((await getJson(`${ts.url}/healthz`)).status).toBe(200);
  });
});
