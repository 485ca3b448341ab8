/**
 * Issue 14, the production guide's "Health checks and graceful shutdown" behind docs/haproxy.cfg: three instances,
 * client credentials load through HAProxy, SIGTERM to one with LATCH_SHUTDOWN_DELAY=4 (above `inter 1s fall 2`, with room for a loaded machine).
 * /readyz says 503 while it drains, HAProxy marks it DOWN before it stops listening, so no request fails; it exits 0
 * and every token answered introspects active afterwards. dist/ must be built (`npx tsc -p tsconfig.build.json`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isActive, tokenRequest } from '../helpers/oauth.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import type { TestClient } from '../helpers/server.js';

let cluster: Cluster;
let m2m: TestClient;

beforeAll(async () => {
  cluster = await startCluster({ instances: 3, env: { LATCH_SHUTDOWN_DELAY: '4' } });
  m2m = await cluster.client({ kind: 'm2m' });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

it('drains one instance on SIGTERM with no failed request: exit 0, DOWN in HAProxy, every token active', async () => {
  const answers: { status: number; error?: string }[] = [];
  const tokens: string[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const res = await tokenRequest(cluster.lb, { grant_type: 'client_credentials' }, m2m);
        answers.push({ status: res.status, ...(res.status !== 200 && { error: res.text.slice(0, 200) }) });
        if (res.status === 200) tokens.push(res.body.access_token as string);
      } catch (err) {
        answers.push({ status: 0, error: String((err as Error).cause ?? err) });
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await new Promise((r) => setTimeout(r, 1500));
  const before = answers.length;
  const victim = cluster.instances[1]!;
  const signalled = Date.now();
  const code = await victim.kill('SIGTERM');
  const tookMs = Date.now() - signalled;
  const stats = await cluster.serverStats();
  await new Promise((r) => setTimeout(r, 1500));
  running = false;
  await Promise.all(workers);

  const failed = answers.filter((a) => a.status !== 200);
  console.log(`drain: ${answers.length} answers (${before} before SIGTERM), exit after ${tookMs} ms, ${failed.length} failed`);
  expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
  expect(answers.length).toBeGreaterThan(before);
  expect(code, victim.output()).toBe(0);
  // It waited the delay (3 s) before it stopped listening.
  expect(tookMs).toBeGreaterThanOrEqual(4000);
  expect(stats.i1!.status).toMatch(/^DOWN/);
  expect(stats.i0!.status).toBe('UP');
  expect(stats.i2!.status).toBe('UP');

  const sample = tokens.filter((_, i) => i % Math.max(1, Math.floor(tokens.length / 60)) === 0);
  for (const token of sample) expect(await isActive(cluster.lb, token, m2m)).toBe(true);
}, 120_000);
