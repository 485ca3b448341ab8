/**
 * PostgreSQL going away and coming back, for real: the server's own backends terminated (what a restart, a
 * failover or an idle timeout does to a pool), and an outage of the network path (a TCP proxy in this test, cut
 * and restored). The process stays up, requests meanwhile answer 503 with Retry-After, and traffic recovers by
 * itself. Only this test's own backends are terminated (a unique application_name): the server is shared.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, openStore, type OpenedStore } from '../../src/storage/open.js';
import { StoreUnavailableError } from '../../src/storage/unavailable.js';
import { getJson, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const upstream = new URL(databaseUrl);

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

async function dropSchema(schema: string): Promise<void> {
  const admin = await openStore({ dataDir: '/nonexistent', databaseUrl });
  try {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.kysely);
  } finally {
    await admin.close();
  }
}

/** Terminates the backends of `applicationName` only (never anyone else's: the server is shared); returns how many of the pool's. */
async function terminateBackends(applicationName: string): Promise<number> {
  const adminUrl = new URL(withApplicationName(databaseUrl, `${applicationName}_admin`));
  if (!adminUrl.username) adminUrl.username = process.env.PGUSER || process.env.USER || os.userInfo().username;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ terminated: boolean; listener: boolean }>(
      "SELECT pg_terminate_backend(pid) AS terminated, query ILIKE 'LISTEN %' AS listener FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
      [applicationName],
    );
    // The key-change listener (its own connection, outside the pool) comes back by itself and is not counted.
    return rows.filter((r) => r.terminated && !r.listener).length;
  } finally {
    await admin.end();
  }
}

function clientCredentials(ts: TestServer, m2m: TestClient) {
  return tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read' }, m2m);
}

describe('PostgreSQL backends terminated under an idle server', () => {
  const schema = `latch_faults_${randomBytes(6).toString('hex')}`;
  const applicationName = `latch_faults_${randomBytes(6).toString('hex')}`;
  const lost: Error[] = [];
  let store: OpenedStore;
  let ts: TestServer;
  let m2m: TestClient;

  beforeAll(async () => {
    store = await openMigratedStore({
      dataDir: '/nonexistent',
      databaseUrl: withApplicationName(databaseUrl, applicationName),
      schema,
      onConnectionError: (error) => lost.push(error),
    });
    ts = await startTestServer({}, { store });
    m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
  });
  afterAll(async () => {
    await ts?.close();
    await store?.close();
    await dropSchema(schema);
  });

  it('survives pg_terminate_backend of its idle connections and serves the next requests', async () => {
    // Several requests at once, so that the pool holds more than one connection.
    const warm = await Promise.all(Array.from({ length: 5 }, () => clientCredentials(ts, m2m)));
    for (const res of warm) expect(res.status, res.text).toBe(200);

    const terminated = await terminateBackends(applicationName);
    expect(terminated).toBeGreaterThanOrEqual(1);
    // Without an 'error' listener on the pool, this is where the process dies. Each backend exits at its own pace:
    // until the pool has heard of every one, the next request may still take a dead connection (and answer 503).
    await expect.poll(() => lost.length, { timeout: 5000 }).toBeGreaterThanOrEqual(terminated);
    expect((lost[0] as Error & { code?: string }).code).toBe('57P01');

    for (let i = 0; i < 3; i++) {
      const res = await clientCredentials(ts, m2m);
      expect(res.status, res.text).toBe(200);
      expect(res.body.access_token).toEqual(expect.any(String));
    }
  });

  it('survives losing a connection in the middle of a transaction, between two of its queries', async () => {
    const failed = await store.kysely
      .transaction()
      .execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        expect(await terminateBackends(applicationName)).toBeGreaterThanOrEqual(1);
        // The checked-out client learns of it with no query running: an 'error' event nobody else listens to.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`SELECT 1`.execute(trx);
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    const res = await clientCredentials(ts, m2m);
    expect(res.status, res.text).toBe(200);
  });
});

/** A TCP proxy to PostgreSQL that can be cut (listener closed, every connection destroyed) and restored. */
class CuttableProxy {
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = net.createServer((downstream) => {
      const up = net.connect(Number(upstream.port || 5432), upstream.hostname);
      for (const socket of [downstream, up]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      downstream.pipe(up).pipe(downstream);
      downstream.on('close', () => up.destroy());
      up.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

describe('PostgreSQL unreachable for a while', () => {
  const schema = `latch_faults_${randomBytes(6).toString('hex')}`;
  const proxy = new CuttableProxy();
  let store: OpenedStore;
  let ts: TestServer;
  let m2m: TestClient;

  beforeAll(async () => {
    await proxy.start();
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl: viaProxy.toString(), schema, connectTimeoutMs: 1000 });
    ts = await startTestServer({}, { store });
    m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
  });
  afterAll(async () => {
    await proxy.cut();
    await ts?.close();
    await store?.close();
    await dropSchema(schema);
  });

  it('answers 503 with Retry-After while the database is unreachable, and recovers by itself', async () => {
    expect((await clientCredentials(ts, m2m)).status).toBe(200);

    await proxy.cut();
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await clientCredentials(ts, m2m);
      expect(res.status, res.text).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      expect(res.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.any(String) });
      // The description says what to do, not what broke inside.
      expect(res.body.error_description).not.toMatch(/ECONN|127\.0\.0\.1/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    // A page (the authorization endpoint) answers with a 503 page.
    const page = await fetch(`${ts.issuer}/authorize?client_id=${m2m.clientId}&response_type=code`);
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
    // Endpoints that need no database keep answering.
    expect((await getJson(`${ts.issuer}/.well-known/openid-configuration`)).status).toBe(200);

    await proxy.start();
    const res = await clientCredentials(ts, m2m);
    expect(res.status, res.text).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
  });
});
