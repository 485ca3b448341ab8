/**
 * The servers under load, each in its own child process pinned to the server core:
 * Latch (compiled, production mode, logs at warn; embedded SQLite in a fresh data directory, or a fresh PostgreSQL
 * database with BENCH_STORE=postgres; one instance, or several behind HAProxy),
 * node-oidc-provider (bench/oidc-provider-server.mjs) and bare Fastify (the ceiling).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser, randomValue } from './http.mjs';
import { startHaproxy } from './haproxy.mjs';
import { createBenchDatabase, fillExpiredTokens } from './postgres.mjs';
import { freePort, rssMb, spawnServer, waitUntilReady } from './process.mjs';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = join(benchDir, '..');
const DISCOVERY = '/.well-known/openid-configuration';

const REDIRECT_URI = 'https://rp.bench.example/callback';
const USER = { email: 'ada@bench.example', name: 'Ada Lovelace', password: 'correct horse battery staple' };
/** Resource indicators (RFC 8707) of the APIs: access tokens for them are opaque, or JWTs signed ES256 / RS256. */
const APIS = {
  opaque: { identifier: 'https://api.bench.example/opaque', tokenFormat: 'opaque', scopes: ['read'] },
  es256: { identifier: 'https://api.bench.example/es256', tokenFormat: 'jwt', signingAlg: 'ES256', scopes: ['read'] },
  rs256: { identifier: 'https://api.bench.example/rs256', tokenFormat: 'jwt', signingAlg: 'RS256', scopes: ['read'] },
};
/** The scope the m2m client asks for (each API defines it). */
export const API_SCOPE = 'read';
const API_ALGS = { es256: 'ES256', rs256: 'RS256' };

async function describe(server, origin, issuer) {
  const metadata = await (await fetch(`${origin}${DISCOVERY}`)).json();
  const path = (url) => new URL(url).pathname;
  return Object.assign(server, {
    origin,
    issuer,
    url: (p) => `${origin}${p}`,
    metadata,
    paths: {
      discovery: DISCOVERY,
      jwks: path(metadata.jwks_uri),
      token: path(metadata.token_endpoint),
      authorization: path(metadata.authorization_endpoint),
      introspection: path(metadata.introspection_endpoint),
    },
    features: { clientCredentials: (metadata.grant_types_supported ?? []).includes('client_credentials') },
    rss: () => rssMb(server.pid),
  });
}

/** Logs the bench user in once (login form, consent) so that later authorizations reuse the session. */
export async function logIn(server) {
  server.browser = new Browser();
  const { codeFlow } = await import('../scenarios.mjs');
  await codeFlow(server);
}

/**
 * The Latch admin services create the APIs when this Latch has them (JWT access tokens per API,
 * RFC 9068); otherwise the JWT scenarios report the feature as missing.
 */
async function createLatchApis(store) {
  const file = join(rootDir, 'dist/admin/apis.js');
  if (!existsSync(file)) return {};
  const admin = await import(file);
  if (typeof admin.createApi !== 'function') return {};
  const apis = {};
  for (const [key, api] of Object.entries(APIS)) {
    await admin.createApi(store, {
      name: `bench ${key}`,
      identifier: api.identifier,
      scopes: api.scopes,
      tokenFormat: api.tokenFormat,
      ...(api.signingAlg ? { signingAlg: api.signingAlg } : {}),
    });
    apis[key] = api.identifier;
  }
  return apis;
}

/**
 * Latch under test. `store`: 'sqlite' (a fresh data directory) or 'postgres' (a fresh database on the machine's
 * PostgreSQL, dropped by `stop()`). `instances` > 1: that many processes on the same database behind HAProxy
 * (round robin), which is then the origin and the issuer. `expiredRows`: expired tokens inserted before the
 * measured start (BENCH_EXPIRED_ROWS).
 */
export async function startLatch({ cpuProfileDir, store = 'sqlite', name = 'latch', label = 'Latch', instances = 1, expiredRows = 0, log = () => undefined } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'latch-bench-'));
  const database = store === 'postgres' ? await createBenchDatabase() : undefined;
  const ports = [];
  for (let i = 0; i < instances; i++) ports.push(await freePort());
  const frontPort = instances > 1 ? await freePort() : ports[0];
  const origin = `http://127.0.0.1:${frontPort}`;
  const env = {
    NODE_ENV: 'production',
    LATCH_LOG_LEVEL: 'warn',
    // Metrics on, as in production, each instance on a port of its own (the default 127.0.0.1:9464 fits one only).
    LATCH_METRICS_ADDRESS: '127.0.0.1:0',
    LATCH_DATA_DIR: dataDir,
    LATCH_HOST: '127.0.0.1',
    LATCH_ISSUER: origin,
    PORT: String(ports[0]),
    // Every instance decrypts the same signing keys: one secret for all, as in production.
    ...(database && { LATCH_DATABASE_URL: database.url, LATCH_SECRET: randomBytes(32).toString('base64url') }),
  };
  const bin = join(rootDir, 'bin/latch.js');
  const processes = [];
  let proxy;
  const stopAll = async () => {
    for (const p of processes.splice(0)) await p.stop(30_000);
    if (proxy) await proxy.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (database) await database.drop();
  };

  try {
    // First start: creates and migrates the database and generates the signing keys.
    const first = spawnServer(`${name} (first start)`, [bin, 'start'], env);
    const firstStartMs = await waitUntilReady(first, `http://127.0.0.1:${ports[0]}${DISCOVERY}`);
    await first.stop();

    // Set-up through the admin services, while the server is stopped.
    const { openMigratedStore } = await import(join(rootDir, 'dist/storage/open.js'));
    const { createClient } = await import(join(rootDir, 'dist/admin/clients.js'));
    const { createUser } = await import(join(rootDir, 'dist/admin/users.js'));
    const { loadPasswordPolicy } = await import(join(rootDir, 'dist/core/accounts/password-policy.js'));
    const opened = await openMigratedStore({ dataDir, ...(database && { databaseUrl: database.url }) });
    let clients;
    let apis;
    let fillSeconds;
    try {
      await createUser(opened, loadPasswordPolicy(), { email: USER.email, name: USER.name, password: USER.password, emailVerified: true });
      const web = await createClient(opened, { name: 'bench web app', kind: 'web', clientId: 'bench-web', redirectUris: [REDIRECT_URI] });
      const m2m = await createClient(opened, { name: 'bench service', kind: 'm2m', clientId: 'bench-m2m', scopes: [API_SCOPE] });
      clients = {
        web: { clientId: web.client.clientId, clientSecret: web.clientSecret, redirectUri: REDIRECT_URI },
        m2m: { clientId: m2m.client.clientId, clientSecret: m2m.clientSecret },
      };
      apis = await createLatchApis(opened);
      if (expiredRows > 0) {
        log(`  ${name}: inserting ${expiredRows.toLocaleString('en-US')} expired tokens...`);
        fillSeconds = await fillExpiredTokens(opened, { rows: expiredRows, clientId: m2m.client.clientId, audience: APIS.opaque.identifier });
        log(`  ${name}: inserted in ${fillSeconds.toFixed(0)} s`);
      }
    } finally {
      await opened.close();
    }

    // Second start, measured: the database is already migrated and the keys exist.
    const startedAt = performance.now();
    for (let i = 0; i < instances; i++) {
      const profiled = cpuProfileDir && i === 0;
      const nodeArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, bin, 'start'] : [bin, 'start'];
      processes.push(spawnServer(instances > 1 ? `${name} #${i + 1}` : name, nodeArgs, { ...env, PORT: String(ports[i]) }));
    }
    let startupMs = 0;
    for (let i = 0; i < instances; i++) startupMs = Math.max(startupMs, await waitUntilReady(processes[i], `http://127.0.0.1:${ports[i]}${DISCOVERY}`));
    if (instances > 1) {
      proxy = await startHaproxy(frontPort, ports);
      await waitUntilReady(proxy, `${origin}${DISCOVERY}`);
      startupMs = performance.now() - startedAt;
    }
    const server = {
      name,
      label,
      store,
      pid: processes[0].pid,
      /** Every Latch process of this server, and the load balancer's: their CPU time is counted per request. */
      pids: processes.map((p) => p.pid),
      proxyPids: proxy ? [proxy.pid] : [],
      database: database?.name,
      expiredRows,
      fillSeconds,
      startupMs,
      firstStartMs,
      clients,
      user: USER,
      apis,
      apiAlgs: API_ALGS,
      stop: stopAll,
    };
    return await describe(server, origin, origin);
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

export async function startOidcProvider() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const clients = {
    web: { clientId: 'bench-web', clientSecret: randomValue(32), redirectUri: REDIRECT_URI },
    m2m: { clientId: 'bench-m2m', clientSecret: randomValue(32) },
  };
  const user = { ...USER, sub: 'bench-user' };
  const setup = { issuer: origin, clients, user, apis: Object.values(APIS) };
  const process_ = spawnServer('node-oidc-provider', [join(benchDir, 'oidc-provider-server.mjs')], {
    NODE_ENV: 'production',
    PORT: String(port),
    BENCH_SETUP: JSON.stringify(setup),
  });
  const startupMs = await waitUntilReady(process_, `${origin}${DISCOVERY}`);
  const server = {
    name: 'oidc-provider',
    label: 'node-oidc-provider',
    pid: process_.pid,
    startupMs,
    clients,
    user,
    apis: Object.fromEntries(Object.entries(APIS).map(([key, api]) => [key, api.identifier])),
    apiAlgs: API_ALGS,
    stop: () => process_.stop(),
    output: process_.output,
  };
  return describe(server, origin, origin);
}

export async function startFastify() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const process_ = spawnServer('fastify', [join(benchDir, 'fastify-hello.mjs')], { NODE_ENV: 'production', PORT: String(port) });
  const startupMs = await waitUntilReady(process_, `${origin}/hello`);
  return {
    name: 'fastify',
    label: 'bare Fastify',
    pid: process_.pid,
    startupMs,
    origin,
    url: (p) => `${origin}${p}`,
    rss: () => rssMb(process_.pid),
    stop: () => process_.stop(),
  };
}
