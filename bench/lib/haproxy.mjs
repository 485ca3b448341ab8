/**
 * HAProxy from Debian in front of several Latch instances: HTTP mode, round robin on every request (no
 * stickiness), keep-alive to the clients and to the backends (idle server connections are reused by any
 * client connection). It runs unpinned, like PostgreSQL; its configuration is written to a temporary file.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCommand } from './process.mjs';

export const HAPROXY = process.env.BENCH_HAPROXY || '/usr/sbin/haproxy';

export function haproxyConfig(frontPort, backendPorts) {
  return `global
    maxconn 4096
    nbthread 1

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s

frontend latch_front
    bind 127.0.0.1:${frontPort}
    default_backend latch_instances

backend latch_instances
    balance roundrobin
${backendPorts.map((port, i) => `    server latch${i + 1} 127.0.0.1:${port}`).join('\n')}
`;
}

/** Starts HAProxy in the foreground (-db); `stop()` ends it and removes its configuration. */
export async function startHaproxy(frontPort, backendPorts) {
  if (!existsSync(HAPROXY)) throw new Error(`HAProxy not found at ${HAPROXY} (set BENCH_HAPROXY)`);
  const dir = await mkdtemp(join(tmpdir(), 'latch-bench-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, haproxyConfig(frontPort, backendPorts));
  const child = spawnCommand('haproxy', HAPROXY, ['-db', '-f', file], {}, { pinned: false });
  return {
    ...child,
    async stop() {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
