/**
 * PostgreSQL for the benchmark (BENCH_STORE=postgres): a fresh database per Latch under test, dropped at the end;
 * the CPU time PostgreSQL spends for one database (its backends, plus the shared background processes);
 * and the bulk fill of expired tokens (BENCH_EXPIRED_ROWS) for both stores.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './process.mjs';

const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(rootDir, 'package.json'));

/** The machine's PostgreSQL (trust auth); BENCH_PG_URL overrides it. */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(sql, params = []) {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

let databaseCount = 0;

/**
 * Drops the bench databases left by runs that were killed before their clean-up (SIGINT, SIGKILL): those whose
 * creating process (the pid in the name) no longer runs. Databases of running benchmarks are left alone.
 */
async function dropAbandoned() {
  const { rows } = await adminQuery(`select datname from pg_database where datname like 'latch\\_bench\\_%'`);
  for (const { datname } of rows) {
    const pid = /^latch_bench_(\d+)_/.exec(datname)?.[1];
    if (pid && !existsSync(`/proc/${pid}`)) await adminQuery(`drop database if exists ${datname} with (force)`);
  }
}

/** Creates `latch_bench_<pid>_<time>_<n>`; returns its name, URL and `drop()` (which ends its connections first). */
export async function createBenchDatabase() {
  if (databaseCount === 0 && existsSync('/proc')) await dropAbandoned();
  const name = `latch_bench_${process.pid}_${Date.now().toString(36)}_${databaseCount++}`;
  await adminQuery(`create database ${name}`);
  return {
    name,
    url: withDatabase(PG_ADMIN_URL, name),
    async drop() {
      // WITH (FORCE) (PostgreSQL 13+) ends the connections of a server that did not stop cleanly.
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Background processes every database shares: their CPU is counted for whichever database is under load. */
const SHARED = /^postgres: [^:]+: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher)\b/;

/** The PostgreSQL processes on this machine: pid, command line and whether the postmaster. */
function postgresProcesses() {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Meters PostgreSQL's CPU time during one run. `database`: the processes counted are the backends (and
 * autovacuum workers) of that database, whose command line names it (`postgres: 15/main: <user> <db> <addr> ...`),
 * plus the postmaster and the shared background processes (WAL writer, checkpointer, background writer).
 * Backends come and go (the pool closes idle connections), so the processes are sampled every 250 ms and each
 * one's last reading counts; one that starts during the run counts from zero. `all` is the same over every
 * process named postgres, whatever its database (other work on the machine included).
 */
export function startPostgresMeter(database) {
  if (!existsSync('/proc')) return { stop: () => ({ ours: undefined, all: undefined }) };
  const before = new Map();
  const last = new Map();
  const ours = new Set();
  const sample = (initial) => {
    for (const { pid, cmdline } of postgresProcesses()) {
      const cpu = cpuSeconds(pid);
      if (cpu === undefined) continue;
      if (!before.has(pid)) before.set(pid, initial ? cpu : 0);
      last.set(pid, cpu);
      const words = cmdline.split(' ');
      // A parallel worker names its leader, not the database: it is ours when its leader is.
      const leader = /parallel worker for PID (\d+)/.exec(cmdline)?.[1];
      if (!cmdline.startsWith('postgres:') || SHARED.test(cmdline) || words.includes(database) || (leader && ours.has(Number(leader)))) ours.add(pid);
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 250);
  return {
    /** CPU seconds used since the start: `ours` (this database and the shared processes) and `all`. */
    stop() {
      clearInterval(timer);
      sample(false);
      let mine = 0;
      let all = 0;
      for (const [pid, cpu] of last) {
        const used = cpu - before.get(pid);
        all += used;
        if (ours.has(pid)) mine += used;
      }
      return { ours: mine, all };
    },
  };
}

/**
 * Inserts `rows` expired access tokens of `clientId` (issued 60 days ago and onwards, one per 100 ms, each expired
 * an hour after its issue), keyed as Latch keys them (`<issue time base 36>.<SHA-256 base64url>`), then VACUUM
 * ANALYZE. `kysely` is an open store's; returns the seconds it took.
 */
export async function fillExpiredTokens(store, { rows, clientId, audience }) {
  const { sql } = require('kysely');
  const started = performance.now();
  const nowMs = Date.now();
  const firstMs = nowMs - 60 * 86_400_000;
  const stepMs = Math.max(1, Math.floor((nowMs - 2 * 3_600_000 - firstMs) / rows));
  // What Latch stores in `data` for a client credentials access token (the columns carry the rest).
  const data = '{}';
  if (store.dialect === 'postgres') {
    // The time prefix in base 36 (9 digits), computed in SQL from the issue time of each row.
    const base36 = sql.raw(
      Array.from({ length: 9 }, (_, k) => `substr('0123456789abcdefghijklmnopqrstuvwxyz', ((t.ms / ${36n ** BigInt(8 - k)}::bigint) % 36)::int + 1, 1)`).join(' || '),
    );
    // In batches of a million: one statement of 10 million rows holds a huge transaction and its WAL.
    const batch = 1_000_000;
    for (let from = 1; from <= rows; from += batch) {
      const to = Math.min(rows, from + batch - 1);
      await sql`
        insert into tokens (digest, kind, client_id, scope, audience, data, created_at, expires_at)
        select ${base36} || '.' || rtrim(translate(encode(sha256(convert_to('bench-expired-' || t.i, 'UTF8')), 'base64'), '+/', '-_'), '='),
               'access_token', ${clientId}, 'read', ${audience}, ${data}::jsonb, t.ms / 1000, t.ms / 1000 + 3600
        from (select i, ${firstMs}::bigint + i * ${stepMs}::bigint as ms from generate_series(${from}::bigint, ${to}::bigint) as i) as t
      `.execute(store.kysely);
    }
    await sql`vacuum analyze tokens`.execute(store.kysely);
  } else {
    // SQLite: a recursive CTE counts the rows; the prefix is a fixed-width base 36 of the issue time.
    const digits = Array.from({ length: 9 }, (_, k) => `substr('0123456789abcdefghijklmnopqrstuvwxyz', ((ms / ${36n ** BigInt(8 - k)}) % 36) + 1, 1)`).join(' || ');
    const batch = 1_000_000;
    for (let from = 1; from <= rows; from += batch) {
      const to = Math.min(rows, from + batch - 1);
      // SQLite has no SHA-256 in SQL: the key's second part is 43 characters of hex from randomblob, unique.
      await sql`
        with recursive n(i) as (select cast(${from} as integer) union all select i + 1 from n where i < cast(${to} as integer)),
        t(i, ms) as (select i, cast(${firstMs} as integer) + i * cast(${stepMs} as integer) from n)
        insert into tokens (digest, kind, client_id, scope, audience, data, created_at, expires_at)
        select ${sql.raw(digits)} || '.' || substr(lower(hex(randomblob(22))), 1, 43), 'access_token', ${clientId}, 'read', ${audience}, ${data}, ms / 1000, ms / 1000 + 3600
        from t
      `.execute(store.kysely);
    }
    await sql`analyze`.execute(store.kysely);
  }
  return (performance.now() - started) / 1000;
}
