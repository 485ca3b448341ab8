/** One measured load run with autocannon, and the median/min/max over several runs. */
import autocannon from 'autocannon';
import { cpuSeconds } from './process.mjs';

/**
 * Runs `requests` (an autocannon request sequence) against `origin` for `seconds`.
 * Successes: the scenario's own tally when it keeps one (multi-step flows, chains), else 2xx answers.
 */
export async function loadRun(origin, prepared, { connections, seconds, unitsPerSuccess = 1, pid }) {
  const serverCpuBefore = pid === undefined ? undefined : cpuSeconds(pid);
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
  const serverCpuAfter = pid === undefined ? undefined : cpuSeconds(pid);
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const duration = result.duration || seconds;
  return {
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
    lastError: runs.map((r) => r.lastError).filter(Boolean).pop(),
    runs,
  };
}
