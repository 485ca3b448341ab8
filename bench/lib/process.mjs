/**
 * Child processes of the benchmark: spawned pinned to one core, killed on exit or failure,
 * watched for readiness and resident memory.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

const children = new Set();

function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Servers on core 0, the load generator on core 1: only where the machine has two cores and taskset. */
export const pinning = hasTaskset && availableParallelism() >= 2 ? { server: '0', load: '1' } : undefined;

/** Pins the current process (the load generator) to its core. */
export function pinSelf() {
  if (!pinning) return false;
  // -a: every thread of this process (V8 and libuv threads exist already), not only the main one.
  execFileSync('taskset', ['-a', '-cp', pinning.load, String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Spawns `node <args>` pinned to the server core (taskset execs node, so the pid is node's own).
 * Output is kept (the last 64 kB) for error messages.
 */
export function spawnServer(name, nodeArgs, env) {
  return spawnCommand(name, process.execPath, nodeArgs, env, { pinned: true });
}

/** Spawns `file <args>`, pinned to the server core when `pinned` (PostgreSQL and HAProxy run unpinned). */
export function spawnCommand(name, file, fileArgs, env, { pinned }) {
  const command = pinning && pinned ? 'taskset' : file;
  const args = pinning && pinned ? ['-c', pinning.server, file, ...fileArgs] : fileArgs;
  const startedAt = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-65536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => children.delete(child));
  return {
    name,
    child,
    pid: child.pid,
    startedAt,
    output: () => output,
    exited,
    /** SIGTERM, then SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200; returns the milliseconds since the process was spawned. */
export async function waitUntilReady(server, url, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  let exitedWith;
  server.exited.then((status) => (exitedWith = status));
  for (;;) {
    if (exitedWith) throw new Error(`${server.name} exited (${JSON.stringify(exitedWith)}) before answering ${url}:\n${server.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - server.startedAt;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${server.name} did not answer ${url} within ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resident set size of a process in MB (VmRSS from /proc), or undefined where there is no /proc. */
export function rssMb(pid) {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(file, 'utf8'));
  return match ? Number(match[1]) / 1024 : undefined;
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat; undefined without /proc. */
export function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
