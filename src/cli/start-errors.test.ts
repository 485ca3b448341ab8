import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { startServer } from '../http/server.js';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const secret = Buffer.alloc(32, 9).toString('base64url');

let dataDir: string;
let occupied: Server | undefined;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-start-errors-'));
});
afterEach(async () => {
  await new Promise((resolve) => (occupied ? occupied.close(resolve) : resolve(undefined)));
  occupied = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

async function listening(): Promise<number> {
  occupied = createServer();
  await new Promise<void>((resolve) => occupied!.listen(0, '127.0.0.1', resolve));
  return (occupied.address() as { port: number }).port;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `latch start` that should fail; a controller stops it should it start after all. */
async function startFails(env: NodeJS.ProcessEnv, json = false) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  try {
    const result = await runLatch(['start', ...(json ? ['--json'] : [])], {
      env: { LATCH_DATA_DIR: dataDir, LATCH_LOG_LEVEL: 'silent', ...env },
      signal: controller.signal,
    });
    expectCode(result, 1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

describe('latch start: errors that name the setting', () => {
  it('address in use: PORT / LATCH_HOST and the address', async () => {
    const port = await listening();
    const result = await startFails({ PORT: String(port), LATCH_HOST: '127.0.0.1' });
    expect(result.stderr).toContain(`latch: PORT / LATCH_HOST: 127.0.0.1:${port} is already in use`);
    const json = await startFails({ PORT: String(port), LATCH_HOST: '127.0.0.1' }, true);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'failed', field: 'PORT' });
  });

  it('unknown host: LATCH_HOST', async () => {
    const result = await startFails({ PORT: '0', LATCH_HOST: 'no-such-host.invalid' });
    expect(result.stderr).toMatch(/^latch: LATCH_HOST: unknown host "no-such-host\.invalid"/);
  });

  it('a host that is not this machine\'s: LATCH_HOST', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to this machine.
    const result = await startFails({ PORT: '0', LATCH_HOST: '192.0.2.1' });
    expect(result.stderr).toMatch(/^latch: LATCH_HOST: 192\.0\.2\.1 is not an address of this machine/);
  });

  it('unreachable PostgreSQL: LATCH_DATABASE_URL with host:port / database, never the password', async () => {
    const port = await closedPort();
    const result = await startFails({ PORT: '0', LATCH_SECRET: secret, LATCH_DATABASE_URL: `postgres://latch:sekrit-pw@127.0.0.1:${port}/latchdb` });
    expect(result.stderr).toContain(`latch: LATCH_DATABASE_URL: cannot open the PostgreSQL database at 127.0.0.1:${port} / database latchdb: connection refused`);
    expect(result.stderr).not.toContain('sekrit-pw');
    const json = await startFails({ PORT: '0', LATCH_SECRET: secret, LATCH_DATABASE_URL: `postgres://latch:sekrit-pw@127.0.0.1:${port}/latchdb` }, true);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'failed', field: 'LATCH_DATABASE_URL' });
  });

  it('missing PostgreSQL database: LATCH_DATABASE_URL, naming it', async () => {
    const url = new URL(databaseUrl);
    url.pathname = '/latch_no_such_database';
    const result = await startFails({ PORT: '0', LATCH_SECRET: secret, LATCH_DATABASE_URL: url.toString() });
    expect(result.stderr).toMatch(/^latch: LATCH_DATABASE_URL: cannot open the PostgreSQL database at .+ \/ database latch_no_such_database: database "latch_no_such_database" does not exist/);
  });

  it('migrate and the other commands name LATCH_DATABASE_URL too', async () => {
    const port = await closedPort();
    const result = await runLatch(['users', 'list'], { env: { LATCH_DATA_DIR: dataDir, LATCH_DATABASE_URL: `postgres://127.0.0.1:${port}/x` } });
    expectCode(result, 1);
    expect(result.stderr).toMatch(/^latch: LATCH_DATABASE_URL: cannot open the PostgreSQL database at 127\.0\.0\.1:\d+ \/ database x: connection refused/);
  });

  it('PostgreSQL without LATCH_SECRET: refused before the database is touched, saying how to make one', async () => {
    const port = await closedPort();
    const result = await startFails({ PORT: '0', LATCH_DATABASE_URL: `postgres://127.0.0.1:${port}/latch` });
    expect(result.stderr).toMatch(/^latch: LATCH_SECRET: required with PostgreSQL \(LATCH_DATABASE_URL\)/);
    expect(result.stderr).toContain(`node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`);
    const json = await startFails({ PORT: '0', LATCH_DATABASE_URL: `postgres://127.0.0.1:${port}/latch` }, true);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'invalid_config', field: 'LATCH_SECRET' });
    // Acknowledged: it gets as far as the database.
    const acknowledged = await startFails({ PORT: '0', LATCH_ALLOW_LOCAL_SECRET: 'true', LATCH_DATABASE_URL: `postgres://127.0.0.1:${port}/latch` });
    expect(acknowledged.stderr).toMatch(/^latch: LATCH_DATABASE_URL: /);
  });

  it('startServer on a PostgreSQL store refuses to start without a secret, and starts with LATCH_ALLOW_LOCAL_SECRET', async () => {
    const schema = `latch_secret_${randomBytes(6).toString('hex')}`;
    const store = await openMigratedStore({ dataDir, databaseUrl, schema });
    try {
      await expect(startServer(loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', metricsAddress: 'off' }), { store })).rejects.toThrow(
        /^LATCH_SECRET: required with PostgreSQL/,
      );
      expect(await store.keys.list()).toEqual([]);
      const server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', allowLocalSecret: true, metricsAddress: 'off' }), { store });
      await server.close();
      expect((await store.keys.list()).length).toBeGreaterThan(0);
    } finally {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
      await store.close();
    }
  });

  const bin = fileURLToPath(new URL('../../bin/latch.js', import.meta.url));
  const built = existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)));
  it.skipIf(!built)('node bin/latch.js start: one line on stderr, exit code 1, no stack trace', async () => {
    const port = await listening();
    const child = spawn(process.execPath, [bin, 'start'], {
      env: { PATH: process.env.PATH, LATCH_DATA_DIR: dataDir, LATCH_LOG_LEVEL: 'silent', PORT: String(port), LATCH_HOST: '127.0.0.1', LATCH_METRICS_ADDRESS: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe(`latch: PORT / LATCH_HOST: 127.0.0.1:${port} is already in use (another Latch or another program listens there); stop it, or set PORT (or LATCH_HOST) to a free one\n`);
  });
});
