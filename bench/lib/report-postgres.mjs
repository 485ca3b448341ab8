/**
 * The tables of issue 14: the scenario table on PostgreSQL (Latch's and PostgreSQL's CPU per request apart, and
 * together), two instances behind HAProxy against one, and expired tokens in the table against an empty one.
 */
import { cell, fmt, P99_GOAL_MS, ratio } from './report.mjs';

/** Issue 14: on PostgreSQL, Latch at least this many times node-oidc-provider (in memory), by rate and by CPU. */
export const POSTGRES_GOALS = { 'cc-opaque': 2.5, introspection: 2.5 };
/** Issue 14: throughput with the expired tokens within 10% of an empty table. */
export const EXPIRED_GOAL = 0.9;
/** Issue 14: two instances at least 1.6x one, where the machine has the cores for it. */
export const PAIR_GOAL = 1.6;

const us = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x)}`);
const p99 = (r) => (r?.summary ? `${r.summary.p99}` : '–');
const cpu = (r, field) => us(r?.summary?.[field]);
/** `Latch + PostgreSQL = total`, or the Latch figure alone on SQLite. */
const sum = (r) => (r?.summary?.pgCpuPerRequest === undefined ? cpu(r, 'cpuPerRequest') : `${cpu(r, 'cpuPerRequest')} + ${cpu(r, 'pgCpuPerRequest')} = ${cpu(r, 'totalCpuPerRequest')}`);
const divide = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);

/** The scenario table with BENCH_STORE=postgres. */
export function postgresRows(rows, ceiling) {
  const lines = [
    '| scenario | unit | Latch median (min–max) | p99 ms | Latch CPU µs/req | PostgreSQL CPU µs/req | total CPU µs/req | node-oidc-provider median (min–max) | p99 ms | node-oidc-provider CPU µs/req | Latch / node-oidc-provider by rate | by total CPU per request | goal | met? |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  if (ceiling?.summary) lines.push(`| ${ceiling.label} | req/s | ${cell(ceiling)} | ${p99(ceiling)} | ${cpu(ceiling, 'cpuPerRequest')} | | ${cpu(ceiling, 'cpuPerRequest')} | | | | | | ceiling | |`);
  for (const row of rows) {
    const latch = row.results.latch;
    const peer = row.results['oidc-provider'];
    const byRate = divide(latch?.summary?.median, peer?.summary?.median);
    const byCpu = divide(peer?.summary?.totalCpuPerRequest, latch?.summary?.totalCpuPerRequest);
    const min = POSTGRES_GOALS[row.scenario.id];
    const goals = [];
    const verdicts = [];
    if (row.scenario.goal?.vs === 'ceiling') {
      // Issue 5's goal for the answers that touch no store: a share of bare Fastify measured next to them.
      const ceilingHere = row.results.fastify?.summary ?? ceiling?.summary;
      const vsCeiling = divide(latch?.summary?.median, ceilingHere?.median);
      goals.push(`≥ ${Math.round(row.scenario.goal.min * 100)}% of Fastify${vsCeiling === undefined ? '' : ` (${ratio(vsCeiling)})`}`);
      verdicts.push(vsCeiling === undefined ? 'n/a' : vsCeiling >= row.scenario.goal.min ? 'yes' : 'NO');
    }
    if (min) {
      goals.push(`≥ ${min}x node-oidc-provider by rate and by CPU`);
      verdicts.push(byRate === undefined || byCpu === undefined ? 'n/a' : byRate >= min && byCpu >= min ? 'yes' : 'NO');
    }
    if (row.scenario.p99Goal !== false) {
      goals.push(`p99 < ${P99_GOAL_MS} ms`);
      verdicts.push(latch?.summary ? (latch.summary.p99 < P99_GOAL_MS ? 'yes' : 'NO') : 'n/a');
    }
    lines.push(
      `| ${row.scenario.label} | ${row.scenario.unit} | ${cell(latch)} | ${p99(latch)} | ${cpu(latch, 'cpuPerRequest')} | ${cpu(latch, 'pgCpuPerRequest')} | ${cpu(latch, 'totalCpuPerRequest')} | ${cell(peer)} | ${p99(peer)} | ${cpu(peer, 'totalCpuPerRequest')} | ${ratio(byRate)} | ${ratio(byCpu)} | ${goals.join('; ')} | ${verdicts.join('; ')} |`,
    );
  }
  return lines.join('\n');
}

/** Two Latch instances on one database behind HAProxy, against one instance, measured in the same interleaved runs. */
export function pairRows(rows) {
  const lines = [
    'Two instances: both Latch processes pinned to the server core with the single instance they are compared with,',
    'HAProxy and PostgreSQL unpinned. On a machine with two cores (one for the servers, one for the load generator) the',
    'rate cannot scale: the figure that carries over to a bigger machine is the CPU time per request, which shows what',
    'the second instance and the load balancer cost. Where the cores exist, the goal is two instances ≥ 1.6x one by rate.',
    '',
    '| scenario | one instance: req/s (min–max) | p99 ms | CPU µs/req: Latch + PostgreSQL = total | two instances + HAProxy: req/s (min–max) | p99 ms | CPU µs/req: Latch (both) + PostgreSQL + HAProxy = total | Latch CPU per instance | 2x / 1x by rate | 1x / 2x by total CPU per request |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    if (row.unavailable) {
      lines.push(`| ${row.scenario.label} | n/a (${row.unavailable}) | | | | | | | | |`);
      continue;
    }
    const one = row.results.latch;
    const two = row.results['latch-2x'];
    const shares = two?.summary?.instanceShares?.map((x) => `${Math.round(x * 100)}%`).join(' / ') ?? '–';
    lines.push(
      `| ${row.scenario.label} | ${cell(one)} | ${p99(one)} | ${sum(one)} | ${cell(two)} | ${p99(two)} | ${cpu(two, 'cpuPerRequest')} + ${cpu(two, 'pgCpuPerRequest')} + ${cpu(two, 'proxyCpuPerRequest')} = ${cpu(two, 'totalCpuPerRequest')} | ${shares} | ${ratio(divide(two?.summary?.median, one?.summary?.median))} (goal ≥ ${PAIR_GOAL}x needs the cores: not on 2) | ${ratio(divide(one?.summary?.totalCpuPerRequest, two?.summary?.totalCpuPerRequest))} |`,
    );
  }
  return lines.join('\n');
}

/** A Latch whose token table holds `count` expired tokens, against one whose table is empty (interleaved runs). */
export function expiredRows(rows, count, fillSeconds) {
  const n = count.toLocaleString('en-US');
  const lines = [
    `Expired tokens: ${n} expired access tokens inserted before the measured start${fillSeconds === undefined ? '' : ` (in ${Math.round(fillSeconds)} s, then VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite)`}, against a Latch whose token table starts empty; runs interleaved. Goal: within 10% of the empty table.`,
    '',
    `| scenario | empty table: req/s (min–max) | p99 ms | CPU µs/req: Latch + PostgreSQL = total | ${n} expired: req/s (min–max) | p99 ms | CPU µs/req: Latch + PostgreSQL = total | expired / empty by rate | empty / expired by total CPU per request | goal | met? |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const empty = row.results['latch-empty'];
    const full = row.results['latch-expired'];
    const byRate = divide(full?.summary?.median, empty?.summary?.median);
    const byCpu = divide(empty?.summary?.totalCpuPerRequest, full?.summary?.totalCpuPerRequest);
    const met = byRate === undefined ? 'n/a' : byRate >= EXPIRED_GOAL ? 'yes' : 'NO';
    lines.push(
      `| ${row.scenario.label} | ${cell(empty)} | ${p99(empty)} | ${sum(empty)} | ${cell(full)} | ${p99(full)} | ${sum(full)} | ${ratio(byRate)} | ${ratio(byCpu)} | ≥ ${EXPIRED_GOAL}x by rate | ${met}${byCpu !== undefined && byCpu < EXPIRED_GOAL ? ' (by CPU: NO)' : ''} |`,
    );
  }
  return lines.join('\n');
}

/** The scaling model of bench/README.md from this run's CPU per request: per core, and cores for a target rate. */
export const SCALING_TARGET = { rate: 10_000, utilisation: 0.7 };

export function scalingRows(rows) {
  const { rate, utilisation } = SCALING_TARGET;
  const lines = [
    `Scaling model (bench/README.md) from this run: per core = 1e6 / CPU µs per request; cores for ${rate.toLocaleString('en-US')} HTTP requests/s at ${Math.round(utilisation * 100)}% use = ceil(rate × µs / 1e6 / ${utilisation}); one Latch instance per core.`,
    '',
    `| scenario | Latch µs/req L | PostgreSQL µs/req P | per Latch core 1e6/L | per PostgreSQL core 1e6/P | Latch instances for ${rate.toLocaleString('en-US')}/s | PostgreSQL cores for ${rate.toLocaleString('en-US')}/s | one machine, per core 1e6/(L+P) |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const s = row.results.latch?.summary;
    const L = s?.cpuPerRequest;
    const P = s?.pgCpuPerRequest;
    if (!L || !P || Number.isNaN(L) || P < 1) continue; // answers that touch no store (discovery, JWKS) are left out
    const cores = (us_) => Math.ceil((rate * us_) / 1e6 / utilisation);
    const per = (us_) => Math.round(1e6 / us_).toLocaleString('en-US');
    lines.push(`| ${row.scenario.label}${row.scenario.requestsPerUnit ? ` (per HTTP request; ${row.scenario.requestsPerUnit} per flow)` : ''} | ${us(L)} | ${us(P)} | ${per(L)} | ${per(P)} | ${cores(L)} | ${cores(P)} | ${per(L + P)} |`);
  }
  return lines.join('\n');
}
