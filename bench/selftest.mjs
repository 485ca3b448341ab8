/**
 * `node bench/selftest.mjs`: checks the parts of the harness that a wrong number would otherwise hide, against the
 * machine's real PostgreSQL and HAProxy (about 20 s; needs dist/ built):
 * - the expired tokens are the rows asked for, expired, keyed as Latch keys them (both stores);
 * - the PostgreSQL meter counts the backends of its own database, not another database's;
 * - HAProxy balances every request round robin, also on one keep-alive connection (no stickiness).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHaproxy } from './lib/haproxy.mjs';
import { createBenchDatabase, fillExpiredTokens, startPostgresMeter } from './lib/postgres.mjs';
import { freePort, waitUntilReady } from './lib/process.mjs';

const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(rootDir, 'package.json'));
const { openMigratedStore } = await import(join(rootDir, 'dist/storage/open.js'));
const { createClient } = await import(join(rootDir, 'dist/admin/clients.js'));
const AUDIENCE = 'https://api.bench.example/opaque';

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

async function withStore(store, fn) {
  const dataDir = await mkdtemp(join(tmpdir(), 'latch-bench-selftest-'));
  const database = store === 'postgres' ? await createBenchDatabase() : undefined;
  const opened = await openMigratedStore({ dataDir, ...(database && { databaseUrl: database.url }) });
  try {
    await createClient(opened, { name: 'bench service', kind: 'm2m', clientId: 'bench-m2m', scopes: ['read'] });
    return await fn(opened, database);
  } finally {
    await opened.close();
    await rm(dataDir, { recursive: true, force: true });
    if (database) await database.drop();
  }
}

for (const store of ['postgres', 'sqlite']) {
  check(`${store}: expired tokens are the rows asked for, expired, keyed like Latch's`, () =>
    withStore(store, async (opened) => {
      const { sql } = require('kysely');
      await fillExpiredTokens(opened, { rows: 2500, clientId: 'bench-m2m', audience: AUDIENCE });
      const now = Math.floor(Date.now() / 1000);
      const { rows } = await sql`select digest, kind, client_id, audience, created_at, expires_at from tokens`.execute(opened.kysely);
      assert.equal(rows.length, 2500);
      assert.equal(new Set(rows.map((r) => r.digest)).size, 2500, 'keys are unique');
      for (const row of rows) {
        assert.match(row.digest, store === 'postgres' ? /^[0-9a-z]{9}\.[A-Za-z0-9_-]{43}$/ : /^[0-9a-z]{9}\.[0-9a-f]{43}$/);
        const issuedMs = parseInt(row.digest.slice(0, 9), 36);
        assert.equal(Math.floor(issuedMs / 1000), Number(row.created_at), 'the key prefix is the issue time');
        assert.ok(Number(row.expires_at) < now, 'expired');
        assert.equal(row.kind, 'access_token');
        assert.equal(row.client_id, 'bench-m2m');
        assert.equal(row.audience, AUDIENCE);
      }
      // A token Latch issues now sorts after all of them (time-ordered keys: new rows at the end of the index).
      const latest = rows.map((r) => r.digest).sort().at(-1);
      assert.ok(latest < Date.now().toString(36).padStart(9, '0'));
    }),
  );
}

check('postgres: the meter counts its own database, not another one', async () => {
  const pg = require('pg');
  const busy = await createBenchDatabase();
  const idle = await createBenchDatabase();
  const client = new pg.Client({ connectionString: busy.url });
  try {
    await client.connect();
    const mine = startPostgresMeter(busy.name);
    const other = startPostgresMeter(idle.name);
    await client.query('select count(*) from generate_series(1, 4000000)');
    const a = mine.stop();
    const b = other.stop();
    assert.ok(a.ours > 0.1, `the busy database's backend is counted (${a.ours} s)`);
    assert.ok(b.ours < a.ours / 2, `another database's meter leaves it out (${b.ours} s against ${a.ours} s)`);
    assert.ok(a.all >= a.ours && b.all >= a.ours * 0.9, 'all postgres processes include it');
  } finally {
    await client.end().catch(() => undefined);
    await busy.drop();
    await idle.drop();
  }
});

check('haproxy: round robin on every request of one keep-alive connection', async () => {
  const servers = [];
  const ports = [];
  for (const name of ['a', 'b']) {
    const server = createServer((req, res) => res.end(name));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push(server.address().port);
  }
  const front = await freePort();
  const proxy = await startHaproxy(front, ports);
  try {
    await waitUntilReady(proxy, `http://127.0.0.1:${front}/`);
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set();
    const answers = [];
    for (let i = 0; i < 8; i++) {
      answers.push(
        await new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: front, path: '/', agent }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(body));
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
          req.end();
        }),
      );
    }
    agent.destroy();
    assert.equal(sockets.size, 1, 'one client connection');
    assert.equal(answers.filter((x) => x === 'a').length, 4, `answers: ${answers.join('')}`);
    for (let i = 1; i < answers.length; i++) assert.notEqual(answers[i], answers[i - 1], `alternates: ${answers.join('')}`);
  } finally {
    await proxy.stop();
    for (const server of servers) server.close();
  }
});

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    process.stdout.write(`ok   ${name}\n`);
  } catch (error) {
    failed++;
    process.stdout.write(`FAIL ${name}\n  ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
process.stdout.write(failed ? `${failed} of ${checks.length} failed\n` : `all ${checks.length} passed\n`);
process.exitCode = failed ? 1 : 0;
