/** One measured load run with autocannon, and the median/min/max over several runs. */
import autocannon from 'autocannon';
import { startPostgresMeter } from './postgres.mjs';
import { cpuSeconds } from './process.mjs';

/**
 * Runs `requests` (an autocannon request sequence) against `origin` for `seconds`.
 * Successes: the scenario's own tally when it keeps one (multi-step flows, chains), else 2xx answers.
 * CPU time is counted for `pid` (or every one of `pids`: the instances of one Latch), for `proxyPids` (the
 * load balancer) and, with `pgDatabase`, for PostgreSQL serving that database (postgres.mjs).
 */
const sumCpu = (pids) => {
  let total = 0;
  for (const p of pids) {
    const cpu = cpuSeconds(p);
    if (cpu === undefined) return undefined;
    total += cpu;
  }
  return total;
};

export async function loadRun(origin, prepared, { connections, seconds, unitsPerSuccess = 1, pid, pids, proxyPids = [], pgDatabase }) {
  const serverPids = pids ?? (pid === undefined ? [] : [pid]);
  const perInstanceBefore = serverPids.map((p) => cpuSeconds(p));
  const serverCpuBefore = serverPids.length === 0 ? undefined : sumCpu(serverPids);
  const proxyCpuBefore = sumCpu(proxyPids);
  const pgMeter = pgDatabase === undefined ? undefined : startPostgresMeter(pgDatabase);
  const loadCpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const result = await autocannon({
    url: origin,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: prepared.requests,
  });
  const responses = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0);
  let ok;
  let bad;
  let lastError;
  if (prepared.tally) {
    ok = prepared.tally.ok;
    bad = prepared.tally.bad + result.errors + result.timeouts;
    lastError = prepared.tally.lastError;
  } else {
    ok = result['2xx'];
    bad = responses - ok + result.errors + result.timeouts;
    if (bad > 0) lastError = `status codes ${JSON.stringify(result.statusCodeStats)}, errors ${result.errors}, timeouts ${result.timeouts}`;
  }
  const wall = (performance.now() - wallBefore) / 1000;
  const serverCpuAfter = serverPids.length === 0 ? undefined : sumCpu(serverPids);
  const proxyCpuAfter = sumCpu(proxyPids);
  const pg = pgMeter?.stop();
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const duration = result.duration || seconds;
  const perRequest = (cpu) => (cpu === undefined || responses === 0 ? undefined : (cpu * 1e6) / responses);
  const latchCpuPerRequest = serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : perRequest(serverCpuAfter - serverCpuBefore);
  const proxyCpuPerRequest = proxyPids.length === 0 || proxyCpuBefore === undefined || proxyCpuAfter === undefined ? undefined : perRequest(proxyCpuAfter - proxyCpuBefore);
  const pgCpuPerRequest = pg ? perRequest(pg.ours) : undefined;
  return {
    /** PostgreSQL CPU per HTTP request (µs): this database's backends and the shared processes; `all`: every postgres process. */
    pgCpuPerRequest,
    pgAllCpuPerRequest: pg ? perRequest(pg.all) : undefined,
    proxyCpuPerRequest,
    /** Latch + PostgreSQL + load balancer, µs per HTTP request: the cost of one request on the machine. */
    totalCpuPerRequest: latchCpuPerRequest === undefined ? undefined : latchCpuPerRequest + (pgCpuPerRequest ?? 0) + (proxyCpuPerRequest ?? 0),
    /** Share of the Latch CPU time each instance used (round robin: about equal). */
    instanceShares:
      serverPids.length > 1 && serverCpuAfter !== undefined && serverCpuAfter > serverCpuBefore
        ? serverPids.map((p, i) => (cpuSeconds(p) - perInstanceBefore[i]) / (serverCpuAfter - serverCpuBefore))
        : undefined,
    /** Share of one core the server used during the run, and the load generator (this process). */
    serverCpu: serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : (serverCpuAfter - serverCpuBefore) / wall,
    loadCpu: (loadCpu.user + loadCpu.system) / 1e6 / wall,
    /** Server CPU time per HTTP request, in µs: steadier than a rate when the machine is busy with other work. */
    cpuPerRequest: serverCpuBefore === undefined || serverCpuAfter === undefined || responses === 0 ? undefined : ((serverCpuAfter - serverCpuBefore) * 1e6) / responses,
    rate: ok / unitsPerSuccess / duration,
    requestRate: responses / duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok,
    bad,
    lastError,
  };
}

/** The median of a field over the runs that have it; undefined when none has. */
function medianOf(runs, field) {
  const xs = runs.map((r) => r[field]).filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  return xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
}

export function summarize(runs) {
  const rates = runs.map((r) => r.rate).sort((a, b) => a - b);
  const p99s = runs.map((r) => r.p99).sort((a, b) => a - b);
  const median = (xs) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  return {
    median: median(rates),
    min: rates[0],
    max: rates[rates.length - 1],
    p99: median(p99s),
    p99Max: p99s[p99s.length - 1],
    bad: runs.reduce((sum, r) => sum + r.bad, 0),
    serverCpu: median(runs.map((r) => r.serverCpu ?? Number.NaN).sort((a, b) => a - b)),
    loadCpu: median(runs.map((r) => r.loadCpu).sort((a, b) => a - b)),
    cpuPerRequest: median(runs.map((r) => r.cpuPerRequest ?? Number.NaN).sort((a, b) => a - b)),
    pgCpuPerRequest: medianOf(runs, 'pgCpuPerRequest'),
    pgAllCpuPerRequest: medianOf(runs, 'pgAllCpuPerRequest'),
    proxyCpuPerRequest: medianOf(runs, 'proxyCpuPerRequest'),
    totalCpuPerRequest: medianOf(runs, 'totalCpuPerRequest'),
    instanceShares: runs.at(-1)?.instanceShares,
    lastError: runs.map((r) => r.lastError).filter(Boolean).pop(),
    runs,
  };
}
