/** The results as markdown: the machine, the scenario table with ratios and goals, memory and start-up. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export const P99_GOAL_MS = 15;
export const MEMORY_GOALS = { idle: 100, afterLoad: 200 };
export const STARTUP_GOAL_MS = 1000;

export function machine() {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit,
    loadBefore: loadavg()[0],
  };
}

export const fmt = (n) => (n === undefined || Number.isNaN(n) ? '–' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
export const ratio = (n) => (n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(2)}x`);
const mb = (n) => (n === undefined ? '–' : `${n.toFixed(0)} MB`);

export function cell(result) {
  if (!result) return '–';
  if (result.unavailable) return `n/a (${result.unavailable})`;
  if (result.failed) return `failed: ${result.failed.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 120)}`;
  const s = result.summary;
  const spread = s.runs.length > 1 ? ` (${fmt(s.min)}–${fmt(s.max)})` : '';
  const errors = s.bad > 0 ? `, ${s.bad} failed` : '';
  return `${fmt(s.median)}${spread}${errors}`;
}

const p99Cell = (result) => (result?.summary ? `${result.summary.p99}` : '–');
const share = (x) => (x === undefined || Number.isNaN(x) ? '?' : `${Math.round(x * 100)}%`);
const cpuCell = (result) =>
  result?.summary ? `${Number.isNaN(result.summary.cpuPerRequest) ? '?' : Math.round(result.summary.cpuPerRequest)} µs; ${share(result.summary.serverCpu)} / ${share(result.summary.loadCpu)}` : '–';

/** Each row: scenario, results per server, ratios, goal and verdict. */
export function scenarioRows(rows, ceiling) {
  const lines = [
    '| scenario | unit | Latch median (min–max) | p99 ms | server CPU per request; CPU server / load | node-oidc-provider median (min–max) | p99 ms | server CPU per request; CPU server / load | Latch / node-oidc-provider | Latch / bare Fastify | goal | met? |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  lines.push(`| ${ceiling?.label ?? 'bare Fastify'} | req/s | ${cell(ceiling)} | ${p99Cell(ceiling)} | ${cpuCell(ceiling)} | | | | | 1.00x | ceiling | |`);
  for (const row of rows) {
    const latch = row.results.latch;
    const peer = row.results['oidc-provider'];
    const latchRate = latch?.summary?.median;
    const vsPeer = latchRate !== undefined && peer?.summary ? latchRate / peer.summary.median : undefined;
    // Against the bare Fastify runs made next to this scenario's runs when there are some.
    const ceilingHere = row.results.fastify?.summary ?? ceiling?.summary;
    const vsCeiling = latchRate !== undefined && ceilingHere ? latchRate / ceilingHere.median : undefined;
    // The same ratios from server CPU time per request: less sensitive to other work on the machine.
    const latchCpu = latch?.summary?.cpuPerRequest;
    const cpuVsPeer = latchCpu && peer?.summary?.cpuPerRequest ? peer.summary.cpuPerRequest / latchCpu : undefined;
    const cpuVsCeiling = latchCpu && ceilingHere?.cpuPerRequest ? ceilingHere.cpuPerRequest / latchCpu : undefined;
    const both = (byRate, byCpu) => (byRate === undefined ? '–' : `${ratio(byRate)}${byCpu === undefined || Number.isNaN(byCpu) ? '' : ` (CPU ${ratio(byCpu)})`}`);
    const goals = [];
    const verdicts = [];
    if (row.scenario.goal) {
      const { vs, min } = row.scenario.goal;
      goals.push(vs === 'ceiling' ? `≥ ${Math.round(min * 100)}% of Fastify` : `≥ ${min}x node-oidc-provider`);
      const value = vs === 'ceiling' ? vsCeiling : vsPeer;
      verdicts.push(value === undefined ? 'n/a' : value >= min ? 'yes' : 'NO');
    }
    if (row.scenario.p99Goal !== false) {
      goals.push(`p99 < ${P99_GOAL_MS} ms`);
      verdicts.push(latch?.summary ? (latch.summary.p99 < P99_GOAL_MS ? 'yes' : 'NO') : 'n/a');
    }
    lines.push(
      `| ${row.scenario.label} | ${row.scenario.unit} | ${cell(latch)} | ${p99Cell(latch)} | ${cpuCell(latch)} | ${cell(peer)} | ${p99Cell(peer)} | ${cpuCell(peer)} | ${both(vsPeer, cpuVsPeer)} | ${both(vsCeiling, cpuVsCeiling)} | ${goals.join('; ')} | ${verdicts.join('; ')} |`,
    );
  }
  return lines.join('\n');
}

export function resourceRows(servers) {
  const latch = servers.latch;
  const peer = servers['oidc-provider'];
  const fastify = servers.fastify;
  const verdict = (value, goal) => (value === undefined ? 'n/a' : value < goal ? 'yes' : 'NO');
  return [
    '| measure | Latch | node-oidc-provider | bare Fastify | goal | met? |',
    '|---|---|---|---|---|---|',
    `| resident memory, idle | ${mb(latch?.rssIdle)} | ${mb(peer?.rssIdle)} | ${mb(fastify?.rssIdle)} | < ${MEMORY_GOALS.idle} MB | ${verdict(latch?.rssIdle, MEMORY_GOALS.idle)} |`,
    `| resident memory, after the load | ${mb(latch?.rssAfter)} | ${mb(peer?.rssAfter)} | ${mb(fastify?.rssAfter)} | < ${MEMORY_GOALS.afterLoad} MB | ${verdict(latch?.rssAfter, MEMORY_GOALS.afterLoad)} |`,
    `| start-up to first discovery answer (migrated database) | ${latch ? `${Math.round(latch.startupMs)} ms` : '–'} | ${peer ? `${Math.round(peer.startupMs)} ms` : '–'} | ${fastify ? `${Math.round(fastify.startupMs)} ms (to /hello)` : '–'} | < ${STARTUP_GOAL_MS} ms | ${verdict(latch?.startupMs, STARTUP_GOAL_MS)} |`,
    `| first start (creates and migrates the database, generates 8 keys) | ${latch?.firstStartMs ? `${Math.round(latch.firstStartMs)} ms` : '–'} | | | | |`,
  ].join('\n');
}

export function machineLines(m, settings) {
  return [
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(1)} GB; Node ${m.node}; Latch commit ${m.commit}; ${m.date}`,
    `- load: ${settings.connections} connections, pipelining 1, warm-up ${settings.warmup} s, then ${settings.runs} timed run(s) of ${settings.duration} s per scenario and server, runs interleaved between the servers${settings.quick ? ' (QUICK MODE: not a real measurement)' : ''}`,
    `- store: ${settings.store === 'postgres' ? `PostgreSQL (the machine's, unpinned: a system service; a fresh database per Latch under test), node-oidc-provider in memory` : 'SQLite (embedded, a fresh data directory)'}`,
    `- pinning: ${settings.pinning ? `servers on core ${settings.pinning.server} (taskset), autocannon on core ${settings.pinning.load}` : 'none (fewer than two cores or no taskset)'}; 1-minute load average before the run ${m.loadBefore.toFixed(2)}${m.loadAfter === undefined ? '' : `, at its end ${m.loadAfter.toFixed(2)} (the benchmark itself keeps about 2 cores busy)`}`,
  ].join('\n');
}

export { expiredRows, pairRows, postgresRows, scalingRows } from './report-postgres.mjs';
