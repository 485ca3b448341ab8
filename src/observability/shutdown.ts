/**
 * Graceful shutdown: first tell the load balancer (/readyz answers 503 draining) while still serving everyone for
 * `delayMs`; then stop accepting connections and let the requests in flight finish, for at most `timeoutMs`, closing
 * each keep-alive connection after its answer; after that, the connections left are closed.
 */
import type { Server } from 'node:http';

/** One per server: whether a shutdown has begun. */
export class DrainState {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  begin(): void {
    this.#draining = true;
  }
}

export interface DrainOptions {
  delayMs: number;
  timeoutMs: number;
  /** The HTTP server under the app, for its connections. */
  server: Server;
  /** Stops accepting and resolves when the requests in flight are answered (Fastify's close). */
  closeApp(): Promise<void>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** How often idle keep-alive connections are closed while the requests in flight finish. */
const IDLE_SWEEP_MS = 50;

export async function drain(state: DrainState, options: DrainOptions): Promise<{ forced: boolean }> {
  const { server, log } = options;
  state.begin();
  log.info({ event: 'server.draining', delay_ms: options.delayMs, timeout_ms: options.timeoutMs }, 'shutting down: /readyz answers 503 while requests are still served');
  if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  log.info({ event: 'server.closing' }, 'shutting down: no new connections; waiting for the requests in flight');
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const closing = options.closeApp();
  try {
    const first = await Promise.race([closing.then(() => 'closed' as const), timedOut]);
    if (first === 'closed') return { forced: false };
    log.warn({ event: 'server.shutdown_timeout', timeout_ms: options.timeoutMs }, 'shutting down: requests still in flight after the timeout; closing their connections');
    server.closeAllConnections();
    await closing;
    return { forced: true };
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
