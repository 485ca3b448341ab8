/**
 * Starts a real Latch server on a free loopback port with a fresh temporary data directory,
 * plus small helpers to register users and clients in its store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/admin/clients.js';
import { createUser } from '../../src/admin/users.js';
import { loadConfig } from '../../src/config/load.js';
import { loadPasswordPolicy } from '../../src/core/accounts/password-policy.js';
import { startServer, type LatchServer } from '../../src/http/server.js';
import type { OpenedStore } from '../../src/storage/open.js';

export type CreateUserInput = Parameters<typeof createUser>[2];
export type CreateClientInput = Parameters<typeof createClient>[1];
type ConfigOverrides = NonNullable<Parameters<typeof loadConfig>[1]>;

export const PASSWORD = 'correct horse battery staple';

export interface TestUser {
  sub: string;
  email: string;
  password: string;
}

export interface TestClient {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  postLogoutRedirectUri?: string;
}

export interface TestServer {
  latch: LatchServer;
  issuer: string;
  /** Base URL, the same as the issuer. */
  url: string;
  dataDir: string;
  close(): Promise<void>;
  /** A user with a unique email and the shared test password unless given. */
  user(input?: Partial<CreateUserInput>): Promise<TestUser>;
  /** A client; redirect URIs default to one unique https URI. */
  client(input: Partial<CreateClientInput> & { kind: CreateClientInput['kind'] }): Promise<TestClient>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('no port'));
        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function startTestServer(overrides: ConfigOverrides = {}, options: { store?: OpenedStore; logStream?: { write(line: string): void } } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'latch-flow-'));
  const passwords = loadPasswordPolicy();
  // PostgreSQL needs LATCH_SECRET (every instance decrypts the same keys): a fresh one unless the test shares one.
  const onPostgres = options.store?.dialect === 'postgres' || overrides.databaseUrl !== undefined;
  if (onPostgres && overrides.secret === undefined) overrides = { ...overrides, secret: randomBytes(32).toString('base64url') };
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = loadConfig(
      {},
      // Tests fetch logos (and upstream providers) from loopback servers: LATCH_FETCH_ALLOW_PRIVATE, unless a test says not.
      // No metrics listener unless a test asks (its fixed default port would collide between servers).
      { port, host: '127.0.0.1', issuer: `http://127.0.0.1:${port}`, dataDir, logLevel: 'silent', fetchAllowPrivate: true, metricsAddress: 'off', ...overrides },
    );
    let latch: LatchServer;
    try {
      latch = await startServer(config, options);
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    const issuer = config.issuer;
    return {
      latch,
      issuer,
      url: latch.url.replace(/\/$/, ''),
      dataDir,
      async close() {
        try {
          await latch.close();
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      },
      async user(input = {}) {
        const email = input.email ?? `${unique('user')}@example.test`;
        const password = input.password ?? PASSWORD;
        const record = await createUser(latch.store, passwords, {
          name: 'Ada Lovelace',
          emailVerified: true,
          profile: { given_name: 'Ada', family_name: 'Lovelace', locale: 'en-GB' },
          ...input,
          email,
          password,
        });
        return { sub: record.sub, email, password };
      },
      async client(input) {
        const host = unique(input.kind);
        const usesRedirects = (input.grantTypes ?? (input.kind === 'm2m' || input.kind === 'device' ? [] : ['authorization_code'])).includes(
          'authorization_code',
        );
        const redirectUris = input.redirectUris ?? (usesRedirects ? [`https://${host}.example.test/callback`] : []);
        const postLogoutRedirectUris = input.postLogoutRedirectUris ?? (usesRedirects ? [`https://${host}.example.test/logged-out`] : []);
        const created = await createClient(latch.store, {
          name: `Flow test ${host}`,
          ...input,
          redirectUris,
          postLogoutRedirectUris,
        });
        const out: TestClient = { clientId: created.client.clientId, redirectUri: redirectUris[0] ?? '' };
        if (created.clientSecret !== undefined) out.clientSecret = created.clientSecret;
        if (postLogoutRedirectUris[0] !== undefined) out.postLogoutRedirectUri = postLogoutRedirectUris[0];
        return out;
      },
    };
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError;
}
