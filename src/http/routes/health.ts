/**
 * GET /healthz: the process is up and serving HTTP (liveness). GET /readyz: this instance should get traffic
 * (readiness: observability/readiness.ts), 503 with a reason otherwise, "draining" during a shutdown. Neither is
 * throttled nor logged at info, and neither may be cached.
 */
import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../../observability/readiness.js';
import { sendJson } from '../responses.js';

export const healthPaths: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export function registerHealth(app: FastifyInstance, ready: () => Promise<Readiness>): void {
  app.get('/healthz', async (_request, reply) => sendJson(reply, { status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    let state: Readiness;
    try {
      state = await ready();
    } catch (error) {
      state = { status: 'unavailable', reason: `check failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    return sendJson(reply, state, state.status === 'ready' ? 200 : 503);
  });
}
