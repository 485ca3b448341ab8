/**
 * `npm run bench`: Latch side by side with node-oidc-provider, and bare Fastify as the ceiling.
 *
 * Environment:
 *   BENCH_DURATION   seconds per timed run (10)        BENCH_RUNS     timed runs per scenario and server (3)
 *   BENCH_WARMUP     seconds of warm-up (3)            BENCH_CONNECTIONS  concurrent connections (50)
 *   BENCH_QUICK=1    1 s warm-up, 1 run of 3 s: a smoke test of the harness, not a measurement
 *   BENCH_ONLY       comma-separated scenario ids (discovery, jwks, cc-opaque, cc-es256, cc-rs256,
 *                    introspection, refresh, code-flow; cc-opaque-2x, introspection-2x, cc-opaque-expired,
 *                    introspection-expired: by default only with BENCH_STORE=postgres)
 *   BENCH_SERVERS    comma-separated servers to start (latch, oidc-provider, fastify; default all three)
 *   BENCH_PROFILE=1  run Latch with --cpu-prof and summarize the profile (bench/results/profiles/)
 *   BENCH_OUT        results file (bench/results/latest.md for a full run, else bench/results/partial.md)
 *   BENCH_STORE      sqlite (default) or postgres (a fresh database on the machine's PostgreSQL per Latch under test)
 *   BENCH_EXPIRED_ROWS  expired tokens in the table for the *-expired scenarios (10000000)
 *   BENCH_PG_URL     PostgreSQL to create the databases on (postgres://postgres@127.0.0.1:5432/postgres)
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRun, summarize } from './lib/load.mjs';
import { pinning, pinSelf } from './lib/process.mjs';
import { expiredRows as expiredTable, machine, machineLines, pairRows, postgresRows, resourceRows, scalingRows, scenarioRows } from './lib/report.mjs';
import { logIn, startFastify, startLatch, startOidcProvider } from './lib/servers.mjs';
import { summarizeProfile } from './profile-summary.mjs';
import { ceilingScenario, scenarios } from './scenarios.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const quick = env.BENCH_QUICK === '1';
const number = (name, fallback, max) => {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`${name} must be a number between 0 and ${max}`);
  return value;
};
const settings = {
  quick,
  duration: number('BENCH_DURATION', quick ? 3 : 10, 300),
  runs: Math.round(number('BENCH_RUNS', quick ? 1 : 3, 20)),
  warmup: number('BENCH_WARMUP', quick ? 1 : 3, 60),
  connections: Math.round(number('BENCH_CONNECTIONS', 50, 1000)),
  only: env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined,
  profile: env.BENCH_PROFILE === '1',
  servers: new Set((env.BENCH_SERVERS ?? 'latch,oidc-provider,fastify').split(',').map((s) => s.trim())),
  store: env.BENCH_STORE || 'sqlite',
  expiredRows: Math.round(number('BENCH_EXPIRED_ROWS', 10_000_000, 100_000_000)),
  pinning,
};
if (!['sqlite', 'postgres'].includes(settings.store)) throw new Error(`BENCH_STORE must be sqlite or postgres, not ${JSON.stringify(settings.store)}`);
const postgres = settings.store === 'postgres';
const partial = quick || settings.only || settings.profile || settings.servers.size < 3;
const outFile = env.BENCH_OUT ?? join(benchDir, 'results', `${partial ? 'partial' : 'latest'}${postgres ? '-postgres' : ''}.md`);
const profileDir = join(benchDir, 'results', 'profiles');

const pct = (x) => (x === undefined || Number.isNaN(x) ? '?' : `${Math.round(x * 100)}%`);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Measures `scenario` on every server; `also` adds [server, scenario] pairs measured in the same interleaved
 * loop (the bare Fastify ceiling next to discovery and JWKS, so that both see the same machine).
 */
async function measure(scenario, servers, also = []) {
  const results = {};
  const ready = [];
  for (const [server, own] of [...servers.map((s) => [s, scenario]), ...also]) {
    const available = own.available(server);
    if (available !== true) {
      results[server.name] = { unavailable: `feature missing: ${available}` };
      continue;
    }
    try {
      await own.check(server);
      ready.push([server, own]);
    } catch (err) {
      results[server.name] = { failed: err instanceof Error ? err.message : String(err) };
    }
  }
  const runs = new Map(ready.map(([s]) => [s.name, []]));
  const once = async (server, own, seconds) => {
    const prepared = await own.prepare(server, settings);
    return loadRun(server.origin, prepared, {
      connections: settings.connections,
      seconds,
      pid: server.pid,
      pids: server.pids,
      proxyPids: server.proxyPids,
      pgDatabase: server.database,
    });
  };
  for (const [server, own] of ready) await once(server, own, settings.warmup);
  // Timed runs interleaved between the servers, so that a disturbance of the machine hits all of them.
  for (let i = 0; i < settings.runs; i++) {
    for (const [server, own] of ready) {
      const run = await once(server, own, settings.duration);
      runs.get(server.name).push(run);
      const pg = run.pgCpuPerRequest === undefined ? '' : `, PostgreSQL ${run.pgCpuPerRequest.toFixed(1)} µs/req (all postgres processes ${run.pgAllCpuPerRequest?.toFixed(1)})`;
      const proxy = run.proxyCpuPerRequest === undefined ? '' : `, HAProxy ${run.proxyCpuPerRequest.toFixed(1)} µs/req, instances ${run.instanceShares?.map(pct).join('/')}`;
      log(`  ${own.id} ${server.name} run ${i + 1}: ${run.rate.toFixed(0)} ${own.unit}, p99 ${run.p99} ms, server ${run.cpuPerRequest?.toFixed(1)} µs CPU/req${pg}${proxy}, CPU server ${pct(run.serverCpu)} load ${pct(run.loadCpu)}${run.bad ? `, ${run.bad} failed (${run.lastError})` : ''}`);
    }
  }
  for (const [server] of ready) results[server.name] = { summary: summarize(runs.get(server.name)), runs: runs.get(server.name) };
  return results;
}

const differences = `Configuration of node-oidc-provider (bench/oidc-provider-server.mjs) compared with Latch:
- The same clients (a confidential web client with authorization_code + refresh_token and an m2m client, both
  client_secret_basic), the same user, the same signing keys by type (an active and a next key for RS256, ES256,
  PS256, EdDSA: 8 keys in the JWKS), the same lifetimes (access token 1 h, refresh token 14 days, code 60 s),
  refresh tokens rotated on every use and not bound to the session, ID tokens RS256, PKCE S256 on every flow.
- Storage: node-oidc-provider keeps everything in its default in-memory adapter (an LRU of about 1000-2000
  entries, lost on restart; it evicts tokens under load, which breaks a few refresh token chains); Latch writes
  every token, code and grant to ${postgres ? 'PostgreSQL (each write committed before its answer)' : 'SQLite (WAL)'}. That adapter also lists every token of a grant on the grant and
  rewrites the list on each save; as the code flows all share the one remembered grant, its code flow slows down
  from run to run (see its min–max).
- Login and consent (done once, outside the measurement): Latch through its login and consent pages (argon2id);
  node-oidc-provider through an in-process interaction handler that logs the user in and saves a Grant.
- ID token claims: node-oidc-provider puts only the standard JWT claims in an ID token issued with an access
  token (conformIdTokenClaims); Latch also includes the profile and email claims. Both add at_hash, nonce, sid.
- Access tokens for APIs: resource indicators (RFC 8707) https://api.bench.example/{opaque,es256,rs256}; the
  opaque client credentials scenario uses the opaque API when the server has APIs, else no resource.
- Introspection: of an opaque access token from the code flow, by the web client that holds it.`;

const POSTGRES_NOTE = `On PostgreSQL, Latch CPU is the Latch process's (pinned to the server core); PostgreSQL CPU is that of
the backends serving the bench database plus the postmaster and the shared background processes (WAL writer, checkpointer,
background writer), which run unpinned on either core (bench/lib/postgres.mjs); total = Latch + PostgreSQL (+ HAProxy).
Goals are those of issue 14: Latch on PostgreSQL at least 2.5x node-oidc-provider (in memory) for client credentials
(opaque) and introspection, by rate and by total CPU per request, both in the same run.`;

async function main() {
  const info = machine();
  if (pinSelf()) log(`pinned: servers on core ${pinning.server}, autocannon on core ${pinning.load}`);
  else log('not pinned (fewer than two cores or no taskset): results are noisier');
  // The scenarios of issue 14 (two instances, expired tokens) run by default on PostgreSQL only: the default
  // SQLite run stays what it was; BENCH_ONLY names them to run them on SQLite.
  const chosen = scenarios.filter((s) => (settings.only ? settings.only.has(s.id) : !s.group || postgres));
  if (settings.only && chosen.length === 0) throw new Error(`BENCH_ONLY matches no scenario (${scenarios.map((s) => s.id).join(', ')})`);

  if (settings.profile) mkdirSync(profileDir, { recursive: true });
  const started = [];
  try {
    const want = (name) => settings.servers.has(name);
    if (want('latch')) {
      log('starting Latch (first start migrates and creates keys, the second start is measured)...');
      started.push(await startLatch({ store: settings.store, log, ...(settings.profile && { cpuProfileDir: profileDir }) }));
      if (postgres && chosen.some((s) => s.group === 'pair')) {
        log('starting two Latch instances on one database behind HAProxy...');
        started.push(await startLatch({ store: settings.store, name: 'latch-2x', label: 'Latch, 2 instances + HAProxy', instances: 2, log }));
      }
      if (chosen.some((s) => s.group === 'expired')) {
        log(`starting two more Latch: an empty token table, and ${settings.expiredRows.toLocaleString('en-US')} expired tokens...`);
        started.push(await startLatch({ store: settings.store, name: 'latch-empty', label: 'Latch, empty token table', log }));
        started.push(await startLatch({ store: settings.store, name: 'latch-expired', label: 'Latch, expired tokens', expiredRows: settings.expiredRows, log }));
      }
    }
    if (want('oidc-provider')) {
      log('starting node-oidc-provider...');
      started.push(await startOidcProvider());
    }
    if (want('fastify')) {
      log('starting bare Fastify...');
      started.push(await startFastify());
    }
    await sleep(1000);
    for (const server of started) server.rssIdle = server.rss();
    const providers = started.filter((s) => s.name === 'latch' || s.name === 'oidc-provider');
    const byName = (name) => started.find((s) => s.name === name);
    const groupServers = {
      pair: [byName('latch'), byName('latch-2x')].filter(Boolean),
      expired: [byName('latch-empty'), byName('latch-expired')].filter(Boolean),
    };
    for (const server of Object.values(groupServers).flat()) if (!providers.includes(server)) providers.push(server);
    for (const server of providers) await logIn(server);

    const fastify = started.find((s) => s.name === 'fastify');
    const rows = [];
    const groupRows = { pair: [], expired: [] };
    for (const scenario of chosen) {
      log(`scenario: ${scenario.label}`);
      if (scenario.group) {
        if (scenario.group === 'pair' && !postgres) groupRows.pair.push({ scenario, results: {}, unavailable: 'BENCH_STORE=postgres only' });
        else groupRows[scenario.group].push({ scenario, results: await measure(scenario, groupServers[scenario.group]) });
        continue;
      }
      const also = fastify && scenario.goal?.vs === 'ceiling' ? [[fastify, ceilingScenario]] : [];
      rows.push({ scenario, results: await measure(scenario, providers.filter((s) => s.name === 'latch' || s.name === 'oidc-provider'), also) });
    }
    // The ceiling row: every bare Fastify run (each was measured next to the scenario it is compared with).
    const helloRuns = rows.flatMap((row) => row.results.fastify?.runs ?? []);
    let ceiling;
    if (fastify && helloRuns.length === 0) {
      log(`ceiling: ${ceilingScenario.label}`);
      ceiling = { label: ceilingScenario.label, ...(await measure(ceilingScenario, [fastify])).fastify };
    } else if (helloRuns.length > 0) {
      ceiling = { label: ceilingScenario.label, summary: summarize(helloRuns) };
    }
    for (const server of started) server.rssAfter = server.rss();
    info.loadAfter = loadavg()[0];

    const servers = Object.fromEntries(started.map((s) => [s.name, s]));
    const table = rows.length === 0 && !ceiling ? '' : postgres ? postgresRows(rows, ceiling) : scenarioRows(rows, ceiling);
    const extraTables = [
      postgres && rows.length ? scalingRows(rows) : '',
      groupRows.pair.length ? pairRows(groupRows.pair) : '',
      groupRows.expired.length ? expiredTable(groupRows.expired, settings.expiredRows, byName('latch-expired')?.fillSeconds) : '',
    ].filter(Boolean).join('\n\n');
    const resources = resourceRows(servers);
    const failures = [...rows, ...groupRows.pair, ...groupRows.expired]
      .flatMap((row) => Object.entries(row.results).map(([name, r]) => [row.scenario.id, name, r]))
      .filter(([, , r]) => r.failed || r.summary?.bad)
      .map(([id, name, r]) => `- ${id} on ${name}: ${r.failed ?? `${r.summary.bad} failed requests, last: ${r.summary.lastError}`}`);

    for (const server of started.splice(0)) await server.stop();

    let profileText = '';
    if (settings.profile) {
      const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort();
      const latest = files.at(-1);
      if (latest) profileText = `\n## CPU profile of Latch (${latest})\n\n${summarizeProfile(join(profileDir, latest), 25)}\n`;
    }

    const text = `# Latch benchmark results

${machineLines(info, settings)}

Requests (or whole flows) per second: the median of the timed runs, (min–max) over the runs; p99 latency in ms
per HTTP request (median over the runs); server CPU per request: CPU time of the server process per HTTP request
(steadier than a rate on a busy machine); CPU server / load: the share of one core used by the server process and by
the load generator (autocannon) during the timed runs. A server at about 100% is the bound; a load generator near 100% means the
number is a floor. ${postgres ? POSTGRES_NOTE : `Goals are those of issue 5; a ratio goal compares the medians of the same run (the verdict); the ratio of
server CPU per request, in parentheses, says the same with less noise when other work shares the machine.`}

${table}
${extraTables ? `\n${extraTables}\n` : ''}
${resources}
${failures.length ? `\nFailed requests:\n${failures.join('\n')}\n` : ''}
${differences}
${profileText}`;
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, text);
    process.stdout.write(`${text}\nwritten to ${outFile}\n`);
  } finally {
    for (const server of started) await server.stop().catch(() => undefined);
  }
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
