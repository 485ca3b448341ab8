/**
 * The servers under load, each in its own child process pinned to the server core:
 * Latch (compiled, production mode, embedded SQLite in a fresh data directory, logs at warn),
 * node-oidc-provider (bench/oidc-provider-server.mjs) and bare Fastify (the ceiling).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser, randomValue } from './http.mjs';
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

export async function startLatch({ cpuProfileDir } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'latch-bench-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'production',
    LATCH_LOG_LEVEL: 'warn',
    LATCH_DATA_DIR: dataDir,
    LATCH_HOST: '127.0.0.1',
    LATCH_ISSUER: origin,
    PORT: String(port),
  };
  const bin = join(rootDir, 'bin/latch.js');

  // First start: creates and migrates the database and generates the signing keys.
  const first = spawnServer('latch (first start)', [bin, 'start'], env);
  const firstStartMs = await waitUntilReady(first, `${origin}${DISCOVERY}`);
  await first.stop();

  // Set-up through the admin services, while the server is stopped.
  const { openMigratedStore } = await import(join(rootDir, 'dist/storage/open.js'));
  const { createClient } = await import(join(rootDir, 'dist/admin/clients.js'));
  const { createUser } = await import(join(rootDir, 'dist/admin/users.js'));
  const { loadPasswordPolicy } = await import(join(rootDir, 'dist/core/accounts/password-policy.js'));
  const store = await openMigratedStore({ dataDir });
  let clients;
  let apis;
  try {
    await createUser(store, loadPasswordPolicy(), { email: USER.email, name: USER.name, password: USER.password, emailVerified: true });
    const web = await createClient(store, { name: 'bench web app', kind: 'web', clientId: 'bench-web', redirectUris: [REDIRECT_URI] });
    const m2m = await createClient(store, { name: 'bench service', kind: 'm2m', clientId: 'bench-m2m', scopes: [API_SCOPE] });
    clients = {
      web: { clientId: web.client.clientId, clientSecret: web.clientSecret, redirectUri: REDIRECT_URI },
      m2m: { clientId: m2m.client.clientId, clientSecret: m2m.clientSecret },
    };
    apis = await createLatchApis(store);
  } finally {
    await store.close();
  }

  // Second start, measured: the database is already migrated and the keys exist.
  const nodeArgs = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, bin, 'start'] : [bin, 'start'];
  const process_ = spawnServer('latch', nodeArgs, env);
  const startupMs = await waitUntilReady(process_, `${origin}${DISCOVERY}`);
  const server = {
    name: 'latch',
    label: 'Latch',
    pid: process_.pid,
    startupMs,
    firstStartMs,
    clients,
    user: USER,
    apis,
    apiAlgs: API_ALGS,
    async stop() {
      await process_.stop(30_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return describe(server, origin, origin);
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
