/**
 * How long the periodic purge takes on a table of expired tokens, and what it does to token requests meanwhile.
 *
 *   npx tsc -p tsconfig.build.json && node bench/purge.mjs                 # SQLite, 1,000,000 expired tokens
 *   BENCH_STORE=postgres PURGE_ROWS=1000000 node bench/purge.mjs           # the machine's PostgreSQL, a fresh schema
 *
 * The database is filled with PURGE_ROWS expired client-credentials tokens (and 1000 live ones) before Latch
 * starts; Latch then runs as `latch start` in its own process with LATCH_PURGE_INTERVAL=PURGE_AT seconds, so its
 * own scheduler purges once, PURGE_AT seconds after start. Token requests (client credentials, opaque,
 * BENCH_CONNECTIONS connections) are measured in one-second windows: before the purge (the expired rows in the
 * table), while it runs, and after (the table small again). The purge's duration and counts are read from its
 * log line. PURGE_BY=cli: the server's timer is off, and `latch purge --json` runs as its own process (as from cron)
 * PURGE_AT seconds after start instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { freePort, spawnServer, waitUntilReady } from './lib/process.mjs';

const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => join(rootDir, 'dist', file);
const onPostgres = process.env.BENCH_STORE === 'postgres';
const rows = Number(process.env.PURGE_ROWS ?? 1_000_000);
const purgeAt = Number(process.env.PURGE_AT ?? 12);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const byCli = process.env.PURGE_BY === 'cli';

const { openMigratedStore } = await import(dist('storage/open.js'));
const { createClient } = await import(dist('admin/clients.js'));
const { sql } = await import('kysely');

const dataDir = await mkdtemp(join(tmpdir(), 'latch-bench-purge-'));
const schema = `latch_bench_purge_${randomBytes(6).toString('hex')}`;
const secret = randomBytes(32).toString('base64url');
const storeOptions = onPostgres ? { dataDir, databaseUrl, schema } : { dataDir };

/** PURGE_ROWS tokens that expired an hour ago, and 1000 that have not, in one statement each. */
async function seed() {
  const store = await openMigratedStore(storeOptions);
  try {
    const m2m = await createClient(store, { name: 'bench service', kind: 'm2m', clientId: 'bench-m2m', scopes: ['read'] });
    const now = Math.floor(Date.now() / 1000);
    const started = performance.now();
    for (const [count, expiresAt, prefix] of [[rows, now - 3600, 'expired'], [1000, now + 86_400, 'live']]) {
      if (onPostgres) {
        await sql`insert into tokens (digest, kind, client_id, scope, data, created_at, expires_at)
          select ${prefix} || '-' || i, 'access_token', 'bench-m2m', 'read', '{}'::jsonb, ${expiresAt - 3600}, ${expiresAt}
          from generate_series(1, ${count}) as i`.execute(store.kysely);
      } else {
        await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
          insert into tokens (digest, kind, client_id, scope, data, created_at, expires_at)
          select ${prefix} || '-' || i, 'access_token', 'bench-m2m', 'read', '{}', ${expiresAt - 3600}, ${expiresAt} from n`.execute(store.kysely);
      }
    }
    if (onPostgres) await sql`analyze tokens`.execute(store.kysely);
    console.error(`seeded ${rows} expired tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { clientId: m2m.client.clientId, clientSecret: m2m.clientSecret };
  } finally {
    await store.close();
  }
}

async function window(origin, client, seconds = 1) {
  const result = await autocannon({
    url: origin,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=read',
      },
    ],
  });
  return { start: result.start.getTime(), end: result.finish.getTime(), rps: result.requests.average, mean: result.latency.average, p99: result.latency.p99, max: result.latency.max, non2xx: result.non2xx + result.errors };
}

function summary(label, windows) {
  if (windows.length === 0) return `| ${label} | - | - | - | - | - | - |`;
  const avg = (key) => windows.reduce((sum, w) => sum + w[key], 0) / windows.length;
  const max = (key) => Math.max(...windows.map((w) => w[key]));
  return `| ${label} | ${windows.length} | ${Math.round(avg('rps'))} | ${avg('mean').toFixed(2)} | ${max('p99').toFixed(1)} | ${max('max').toFixed(0)} | ${windows.reduce((s, w) => s + w.non2xx, 0)} |`;
}

let server;
try {
  const client = await seed();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'production',
    PORT: String(port),
    LATCH_HOST: '127.0.0.1',
    LATCH_ISSUER: origin,
    LATCH_DATA_DIR: dataDir,
    LATCH_LOG_LEVEL: 'info',
    // The purge's lines at info, without one access-log line per request of the load.
    LATCH_ACCESS_LOG: 'false',
    LATCH_METRICS_ADDRESS: '127.0.0.1:0',
    LATCH_SECRET: secret,
    LATCH_PURGE_INTERVAL: byCli ? '0' : String(purgeAt),
    ...(onPostgres && { LATCH_DATABASE_URL: `${databaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}` }),
  };
  server = spawnServer('latch', [join(rootDir, 'bin/latch.js'), 'start'], env);
  let log = '';
  server.child.stdout.on('data', (chunk) => (log += chunk));
  await waitUntilReady(server, `${origin}/.well-known/openid-configuration`);
  const startedAt = Date.now();
  let cliEntry;
  if (byCli) {
    setTimeout(() => {
      const started = Date.now();
      promisify(execFile)(process.execPath, [join(rootDir, 'bin/latch.js'), 'purge', '--json'], { env: { ...process.env, ...env } }).then(({ stdout }) => {
        const report = JSON.parse(stdout);
        cliEntry = { deleted: report.deleted, ms: Date.now() - started, time: Date.now() };
      });
    }, purgeAt * 1000);
  }
  const purged = () => {
    if (byCli) return cliEntry;
    const line = log.split('\n').find((l) => l.includes('"storage.purged"'));
    return line ? JSON.parse(line) : undefined;
  };
  const windows = [];
  // Until the purge has run, then five more seconds.
  let doneAt;
  while (doneAt === undefined || Date.now() < doneAt + 5000) {
    windows.push(await window(origin, client));
    if (doneAt === undefined && purged()) doneAt = Date.now();
    if (Date.now() - startedAt > purgeAt * 1000 + 600_000) throw new Error('the purge did not finish within 10 minutes');
  }
  const entry = purged();
  const purgeEnd = entry.time;
  const purgeStart = purgeEnd - entry.ms;
  const before = windows.filter((w) => w.end < purgeStart && w.start > startedAt + 1000);
  const during = windows.filter((w) => w.start >= purgeStart && w.end <= purgeEnd);
  const after = windows.filter((w) => w.start > purgeEnd);
  console.log(`\n${onPostgres ? 'PostgreSQL' : 'SQLite'}${byCli ? ', `latch purge` in its own process' : ', the server\'s own timer'}: purge of ${entry.deleted.tokens} expired tokens took ${(entry.ms / 1000).toFixed(1)} s (${Math.round(entry.deleted.tokens / (entry.ms / 1000))} rows/s)\n`);
  console.log(`client credentials (opaque), ${connections} connections, 1 s windows:\n`);
  console.log('| when | windows | req/s | mean ms | p99 ms (worst window) | max ms | non-2xx |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(summary(`before (${rows} expired rows in the table)`, before));
  console.log(summary('while the purge runs', during));
  console.log(summary('after (table small again)', after));
} finally {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  if (onPostgres) {
    const store = await openMigratedStore({ dataDir, databaseUrl, schema }).catch(() => undefined);
    if (store) {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
      await store.close();
    }
  }
  await rm(dataDir, { recursive: true, force: true });
}
