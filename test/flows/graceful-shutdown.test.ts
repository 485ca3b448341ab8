/**
 * Issue 14, graceful shutdown of a real `latch start` process (dist/ must be built: `npx tsc -p tsconfig.build.json`):
 * on SIGTERM /readyz says 503 draining for LATCH_SHUTDOWN_DELAY while everything else is still served; then no new
 * connections, the request in flight finishes with 200, idle keep-alive connections do not hold the process, exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server.js';

const bin = fileURLToPath(new URL('../../bin/latch.js', import.meta.url));
const DELAY_S = 2;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** GET over `agent` (keep-alive), with the answer's status, Connection header and body. */
function get(url: string, agent?: http.Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { ...(agent && { agent }) }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

describe('graceful shutdown of latch start', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let client: { client_id: string; client_secret: string };
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-shutdown-'));
    port = await freePort();
    env = {
      PATH: process.env.PATH,
      LATCH_DATA_DIR: dataDir,
      PORT: String(port),
      LATCH_HOST: '127.0.0.1',
      LATCH_ISSUER: `http://127.0.0.1:${port}`,
      LATCH_LOG_LEVEL: 'warn',
      LATCH_SHUTDOWN_DELAY: String(DELAY_S),
      LATCH_SHUTDOWN_TIMEOUT: '10',
      LATCH_METRICS_ADDRESS: '127.0.0.1:0',
    };
    const created = await run(['clients', 'create', '--name', 'Shutdown test', '--type', 'm2m', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    client = JSON.parse(created.stdout);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('SIGTERM: readyz 503 draining while serving, then the slow request in flight finishes with 200, exit 0', async () => {
    const latch = spawn(process.execPath, [bin, 'start', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = latch;
    let stdout = '';
    let stderr = '';
    latch.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    latch.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => latch.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await expect.poll(() => stdout.includes('"discovery"'), { timeout: 30_000 }).toBe(true);
    const started = JSON.parse(stdout) as { url: string; metrics: string };
    expect((await get(`${base}/readyz`)).status).toBe(200);
    expect((await get(started.metrics)).status).toBe(200);

    // An idle keep-alive connection, which must not keep the process waiting.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(`${base}/healthz`, agent)).status).toBe(200);

    // A token request whose body is still on its way when the signal comes.
    const body = 'grant_type=client_credentials';
    const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
    const slow = net.connect(port, '127.0.0.1');
    let answer = '';
    slow.on('data', (c: Buffer) => (answer += c.toString()));
    const slowClosed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    await new Promise<void>((resolve) => slow.on('connect', () => resolve()));
    slow.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Basic ${basic}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalledAt = Date.now();
    latch.kill('SIGTERM');
    await expect.poll(async () => (await get(`${base}/readyz`).catch((err: Error) => ({ body: `${err.message}; exit ${latch.exitCode}; ${stderr}` }))).body).toBe('{"status":"draining"}');
    const readyz = await get(`${base}/readyz`);
    expect(readyz.status).toBe(503);
    // Still serving everything else during the delay, and telling keep-alive clients to reconnect elsewhere.
    const health = await get(`${base}/healthz`, agent);
    expect(health.status).toBe(200);
    expect(health.connection).toBe('close');
    const discovery = await get(`${base}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(JSON.parse(discovery.body).issuer).toBe(base);
    expect(Date.now() - signalledAt).toBeLessThan(DELAY_S * 1000);

    // After the delay: no new connections.
    await expect.poll(() => get(`${base}/healthz`).then(() => 'served', (err: NodeJS.ErrnoException) => err.code)).toBe('ECONNREFUSED');
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(DELAY_S * 1000);
    expect(latch.exitCode).toBeNull();

    // The request in flight still finishes.
    slow.write(body.slice(10));
    await slowClosed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toMatch(/"access_token":"/);

    expect(await exited).toBe(0);
    // Promptly: the idle keep-alive connection (Fastify keeps them 72 s) did not hold the exit.
    expect(Date.now() - signalledAt).toBeLessThan(DELAY_S * 1000 + 5000);
    expect(stderr).toContain('SIGTERM: shutting down');
    agent.destroy();
  });

  it('after LATCH_SHUTDOWN_TIMEOUT a request still in flight is cut off, and the process still exits 0', async () => {
    const quick = { ...env, LATCH_SHUTDOWN_DELAY: '0', LATCH_SHUTDOWN_TIMEOUT: '1', LATCH_METRICS_ADDRESS: 'off' };
    const latch = spawn(process.execPath, [bin, 'start', '--json'], { env: quick, stdio: ['ignore', 'pipe', 'pipe'] });
    child = latch;
    let stdout = '';
    let stderr = '';
    latch.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    latch.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => latch.on('exit', (code) => resolve(code)));
    await expect.poll(() => stdout.includes('"discovery"'), { timeout: 30_000 }).toBe(true);

    // A body that never completes.
    const stuck = net.connect(port, '127.0.0.1');
    const stuckClosed = new Promise<void>((resolve) => stuck.on('close', () => resolve()));
    stuck.on('error', () => undefined);
    await new Promise<void>((resolve) => stuck.on('connect', () => resolve()));
    stuck.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalledAt = Date.now();
    latch.kill('SIGINT');
    expect(await exited).toBe(0);
    await stuckClosed;
    const tookMs = Date.now() - signalledAt;
    expect(tookMs).toBeGreaterThanOrEqual(1000);
    expect(tookMs).toBeLessThan(4000);
    expect(stderr).toContain('SIGINT: shutting down');
    expect(stderr).toContain('requests still in flight after 1 s were cut off');
  });
});
