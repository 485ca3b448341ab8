/**
 * Several real Latch processes (`node bin/latch.js start`, from dist/) on one fresh PostgreSQL database, with the
 * same LATCH_SECRET and LATCH_ISSUER (the load balancer's URL), behind a real HAProxy started with a generated
 * configuration. The test process opens the same database to register users and clients, as the CLI would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createClient } from '../../src/admin/clients.js';
import { createUser } from '../../src/admin/users.js';
import { loadPasswordPolicy } from '../../src/core/accounts/password-policy.js';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { freePort, PASSWORD, type CreateClientInput, type CreateUserInput, type TestClient, type TestServer, type TestUser } from './server.js';

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const LATCH_BIN = join(ROOT, 'bin/latch.js');
export const HAPROXY = '/usr/sbin/haproxy';
const FALLBACK_HEALTH_PATH = '/.well-known/openid-configuration';

const adminUrl = withUser(process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');

/** Like libpq (and Latch), a URL without a user name connects as the operating-system user. */
function withUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.username) url.username = encodeURIComponent(userInfo().username);
  return url.href;
}

export interface Database {
  url: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database with a unique name; drop() ends its connections and removes it. */
export async function createDatabase(prefix: string): Promise<Database> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A process whose output is kept for the failure message. */
interface Spawned {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function spawnKept(command: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  return { proc, output: () => out, exited };
}

async function waitFor(what: string, spawned: Spawned, ready: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const started = Date.now();
  let exitCode: number | null | undefined;
  void spawned.exited.then((code) => (exitCode = code ?? -1));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${what} exited (${exitCode}):\n${spawned.output()}`);
    if (await ready()) return;
    if (Date.now() - started > ms) throw new Error(`${what} not ready after ${ms} ms:\n${spawned.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Instance {
  index: number;
  port: number;
  /** http://127.0.0.1:<port>, to send a request to this instance only. */
  url: string;
  /** The oauth.ts helpers against this instance (they read only `issuer` and `url`). */
  server: TestServer;
  alive: boolean;
  /** Sends `signal` (SIGKILL unless told) and resolves with the exit code once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  output(): string;
}

export interface ClusterOptions {
  instances?: number;
  /** Extra LATCH_* variables for every instance. */
  env?: Record<string, string>;
}

export interface Cluster {
  /** The load balancer's URL: the issuer of every instance. */
  issuer: string;
  /** The oauth.ts helpers through HAProxy. */
  lb: TestServer;
  instances: Instance[];
  store: OpenedStore;
  databaseUrl: string;
  secret: string;
  /** The environment the instances get (for CLI runs against the same database). */
  env: NodeJS.ProcessEnv;
  user(input?: Partial<CreateUserInput>): Promise<TestUser>;
  client(input: Partial<CreateClientInput> & { kind: CreateClientInput['kind'] }): Promise<TestClient>;
  /** Runs `node bin/latch.js ...args` as a process with the instances' environment. */
  cli(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** HAProxy's per-server counters (CSV of its stats page), keyed i0, i1, ... (its servers latch1, latch2, ...). */
  serverStats(): Promise<Record<string, Record<string, string>>>;
  close(): Promise<void>;
}

/** The oauth.ts helpers take a TestServer but read only its issuer and url: a view of one base URL. */
export function viewOf(base: string): TestServer {
  return { issuer: base, url: base } as unknown as TestServer;
}

/** A file of docs/ with only addresses, ports and paths changed; each change must apply exactly once. */
export function adaptConfig(name: string, config: string, changes: [string, string][]): string {
  let out = config;
  for (const [from, to] of changes) {
    const parts = out.split(from);
    if (parts.length !== 2) throw new Error(`${name}: expected "${from}" once, found it ${parts.length - 1} times`);
    out = parts.join(to);
  }
  return out;
}

/**
 * docs/haproxy.cfg (the production guide's file) for these instances. Its health check asks /readyz; until an
 * instance answers it (another part of issue 14 adds it), the check asks for the discovery document instead.
 */
export async function haproxyConfig(options: { bind: string; stats: string; servers: string[]; readyz: boolean }): Promise<string> {
  const guide = await readFile(join(ROOT, 'docs/haproxy.cfg'), 'utf8');
  if (options.servers.length !== 3) throw new Error('docs/haproxy.cfg names three instances');
  return adaptConfig('docs/haproxy.cfg', guide, [
    ['bind 10.0.0.10:80', `bind ${options.bind}`],
    ['bind 127.0.0.1:8404', `bind ${options.stats}`],
    ...options.servers.map((address, i): [string, string] => [`10.0.0.1${i + 1}:3000`, address]),
    ...(options.readyz ? [] : [['GET /readyz', `GET ${FALLBACK_HEALTH_PATH}`] as [string, string]]),
  ]);
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.instances ?? 3;
  const database = await createDatabase('latch_multi');
  const dir = await mkdtemp(join(tmpdir(), 'latch-cluster-'));
  const secret = randomBytes(32).toString('base64url');
  const lbPort = await freePort();
  const statsPort = await freePort();
  const issuer = `http://127.0.0.1:${lbPort}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LATCH_ISSUER: issuer,
    LATCH_HOST: '127.0.0.1',
    LATCH_DATABASE_URL: database.url,
    LATCH_SECRET: secret,
    LATCH_TRUST_PROXY: '127.0.0.1',
    LATCH_LOG_LEVEL: 'warn',
    LATCH_METRICS_ADDRESS: 'off',
    LATCH_DATA_DIR: join(dir, 'cli-data'),
    ...options.env,
  };
  const store = await openMigratedStore({ dataDir: join(dir, 'test-data'), databaseUrl: database.url });
  const spawned: Spawned[] = [];
  let haproxy: Spawned | undefined;
  const closeAll = async () => {
    for (const s of [...spawned, ...(haproxy ? [haproxy] : [])]) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      await s.exited;
    }
    await store.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const instances: Instance[] = [];
    const startOne = async (index: number): Promise<Instance> => {
      let port = 0;
      let s: Spawned | undefined;
      // A port free a moment ago may be taken by another test in between: try another one.
      for (let attempt = 0; s === undefined; attempt++) {
        port = await freePort();
        const tried = spawnKept(process.execPath, [LATCH_BIN, 'start', '--json'], { ...env, PORT: String(port), LATCH_DATA_DIR: join(dir, `data-${index}`) });
        spawned.push(tried);
        try {
          // `start --json` prints its one JSON line once it listens.
          await waitFor(`instance ${index}`, tried, () => tried.output().includes('"discovery"'));
          s = tried;
        } catch (err) {
          if (attempt >= 2 || !/EADDRINUSE|already in use/i.test(tried.output())) throw err;
        }
      }
      const url = `http://127.0.0.1:${port}`;
      const instance: Instance = {
        index,
        port,
        url,
        server: viewOf(url),
        alive: true,
        output: s.output,
        async kill(signal = 'SIGKILL') {
          instance.alive = false;
          s.proc.kill(signal);
          return s.exited;
        },
      };
      return instance;
    };
    // The first start creates the signing keys; the others find them.
    instances.push(await startOne(0));
    instances.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => startOne(i + 1)))));

    const cfg = join(dir, 'haproxy.cfg');
    const readyz = (await fetch(`${instances[0]!.url}/readyz`)).status === 200;
    const servers = instances.map((i) => `127.0.0.1:${i.port}`);
    await writeFile(cfg, await haproxyConfig({ bind: `127.0.0.1:${lbPort}`, stats: `127.0.0.1:${statsPort}`, servers, readyz }));
    haproxy = spawnKept(HAPROXY, ['-db', '-f', cfg], { PATH: process.env.PATH });
    const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
    const serverStats = async () => {
      const text = await (await fetch(statsUrl)).text();
      const [header, ...lines] = text.trim().split('\n');
      const names = header!.replace(/^# /, '').split(',');
      const out: Record<string, Record<string, string>> = {};
      for (const line of lines) {
        const values = line.split(',');
        const row = Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
        if (row.pxname === 'latch' && row.svname!.startsWith('latch')) out[`i${Number(row.svname!.slice(5)) - 1}`] = row;
      }
      return out;
    };
    // Ready when HAProxy's health checks see every instance up.
    await waitFor('haproxy', haproxy, async () => {
      try {
        const stats = await serverStats();
        return Object.values(stats).length === count && Object.values(stats).every((s) => s.status === 'UP');
      } catch {
        return false;
      }
    });

    const passwords = loadPasswordPolicy();
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
    return {
      issuer,
      lb: viewOf(issuer),
      instances,
      store,
      databaseUrl: database.url,
      secret,
      env,
      serverStats,
      async user(input = {}) {
        const email = input.email ?? `${unique('user')}@example.test`;
        const password = input.password ?? PASSWORD;
        const record = await createUser(store, passwords, { name: 'Ada Lovelace', emailVerified: true, ...input, email, password });
        return { sub: record.sub, email, password };
      },
      async client(input) {
        const host = unique(input.kind);
        const usesRedirects = (input.grantTypes ?? (input.kind === 'm2m' || input.kind === 'device' ? [] : ['authorization_code'])).includes('authorization_code');
        const redirectUris = input.redirectUris ?? (usesRedirects ? [`https://${host}.example.test/callback`] : []);
        const created = await createClient(store, { name: `Cluster test ${host}`, ...input, redirectUris });
        const out: TestClient = { clientId: created.client.clientId, redirectUri: redirectUris[0] ?? '' };
        if (created.clientSecret !== undefined) out.clientSecret = created.clientSecret;
        return out;
      },
      async cli(args) {
        return execFileAsync(process.execPath, [LATCH_BIN, ...args], { env });
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
