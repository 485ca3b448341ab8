/**
 * Issue 14, the production guide's "Backups and restore" for PostgreSQL, with the guide's own commands (read from
 * docs/production.md; only the file name, the database name and its URL are changed): pg_dump while a real
 * `latch start` answers client-credentials requests, createdb and pg_restore into a fresh database, and a Latch on the
 * restored database with the same LATCH_SECRET publishes the same JWKS, accepts the client's secret and introspects
 * the tokens answered before the dump as active. dist/ must be built (`npx tsc -p tsconfig.build.json`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { createClient } from '../../src/admin/clients.js';
import { openMigratedStore } from '../../src/storage/open.js';
import { adaptConfig, createDatabase, viewOf, type Database } from '../helpers/cluster.js';
import { getJson, isActive, tokenRequest } from '../helpers/oauth.js';
import { freePort } from '../helpers/server.js';

const sh = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}, 60_000);

/** The ```sh blocks of the guide's "Backups and restore" section, before its SQLite part. */
async function guideCommands(): Promise<string[]> {
  const guide = await readFile(join(ROOT, 'docs/production.md'), 'utf8');
  const section = guide.split('## Backups and restore')[1]!.split('**SQLite.**')[0]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function startLatch(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<number | null> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/latch.js'), 'start', '--json'], {
    env: { ...env, PORT: String(port), LATCH_ISSUER: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => proc.once('exit', done));
  const stop = () => (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'), exited);
  cleanups.push(stop);
  for (const started = Date.now(); !out.includes('"discovery"'); await new Promise((r) => setTimeout(r, 100))) {
    if (proc.exitCode !== null || Date.now() - started > 30_000) throw new Error(`latch did not start:\n${out}`);
  }
  return { url, stop };
}

it('the guide still shows the commands this test runs', async () => {
  const [dump, restore] = await guideCommands();
  expect(dump).toBe('pg_dump --format=custom --file=latch-$(date +%F).dump "$LATCH_DATABASE_URL"\n');
  expect(restore).toBe('createdb latch_restored\npg_restore --no-owner --dbname=postgres://latch@db.internal/latch_restored latch-2026-12-01.dump\n');
});

it('pg_dump while Latch answers, restore into a fresh database: same JWKS, same client secret, tokens active', async () => {
  const source: Database = await createDatabase('latch_backup');
  cleanups.push(() => source.drop());
  const dir = await mkdtemp(join(tmpdir(), 'latch-pg-backup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const secret = randomBytes(32).toString('base64url');
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, LATCH_HOST: '127.0.0.1', LATCH_SECRET: secret, LATCH_LOG_LEVEL: 'warn', LATCH_METRICS_ADDRESS: 'off', LATCH_PURGE_INTERVAL: '0' };
  const store = await openMigratedStore({ dataDir: join(dir, 'admin'), databaseUrl: source.url });
  const created = await createClient(store, { name: 'Backup test', kind: 'm2m', redirectUris: [] });
  await store.close();
  const m2m = { clientId: created.client.clientId, clientSecret: created.clientSecret! };

  const first = await startLatch({ ...base, LATCH_DATABASE_URL: source.url, LATCH_DATA_DIR: join(dir, 'a') });
  // A key rotation before the dump: the copy must hold both keys (the JWKS shows the new and the previous one).
  await sh(process.execPath, [join(ROOT, 'bin/latch.js'), 'keys', 'rotate'], { env: { ...base, LATCH_DATABASE_URL: source.url, LATCH_DATA_DIR: join(dir, 'cli') } });
  let jwks = (await getJson(`${first.url}/jwks`)).body;
  for (let i = 0; i < 30 && jwks.keys.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    jwks = (await getJson(`${first.url}/jwks`)).body;
  }
  expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
  const before: string[] = [];
  for (let i = 0; i < 20; i++) before.push((await tokenRequest(viewOf(first.url), { grant_type: 'client_credentials' }, m2m)).body.access_token as string);

  const [dump, restore] = await guideCommands();
  const pgEnv = { ...process.env, LATCH_DATABASE_URL: source.url, PGHOST: '127.0.0.1', PGUSER: userInfo().username };
  // The dump runs while the server keeps answering token requests.
  let loading = true;
  let during = 0;
  const load = (async () => {
    while (loading) {
      const res = await tokenRequest(viewOf(first.url), { grant_type: 'client_credentials' }, m2m);
      expect(res.status).toBe(200);
      during++;
    }
  })();
  await sh('sh', ['-c', dump!], { cwd: dir, env: pgEnv });
  loading = false;
  await load;
  expect(during).toBeGreaterThan(0);
  await first.stop();

  const restoredName = `latch_restored_${randomBytes(6).toString('hex')}`;
  const restoredUrl = new URL(source.url);
  restoredUrl.pathname = `/${restoredName}`;
  cleanups.push(() => createDatabaseDrop(restoredName));
  const script = adaptConfig('docs/production.md restore', restore!, [
    ['postgres://latch@db.internal/latch_restored', restoredUrl.href],
    ['createdb latch_restored', `createdb ${restoredName}`],
    ['latch-2026-12-01.dump', 'latch-$(date +%F).dump'],
  ]);
  await sh('sh', ['-c', script], { cwd: dir, env: pgEnv });

  const second = await startLatch({ ...base, LATCH_DATABASE_URL: restoredUrl.href, LATCH_DATA_DIR: join(dir, 'b') });
  expect((await getJson(`${second.url}/jwks`)).body).toEqual(jwks);
  expect((await tokenRequest(viewOf(second.url), { grant_type: 'client_credentials' }, m2m)).status).toBe(200);
  for (const token of before) expect(await isActive(viewOf(second.url), token, m2m)).toBe(true);
  console.log(`backup: ${during} token answers during pg_dump`);
}, 120_000);

async function createDatabaseDrop(name: string): Promise<void> {
  await sh('dropdb', ['--if-exists', '--force', name], { env: { ...process.env, PGHOST: '127.0.0.1', PGUSER: userInfo().username } });
}
