/**
 * What every answer leaves behind: one access-log line at info (LATCH_ACCESS_LOG), the request metrics, the end of its
 * trace span. One callback hook (onResponse), no promise. The line holds the route template, never the URL: a query
 * string may carry a code or an id_token_hint; no header, no body.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client this request is from, once authenticated or identified (token endpoints, authorize); for the access log. */
    clientId: string | null;
  }
}

export interface ResponseObserverOptions {
  accessLog: boolean;
  metrics?: Metrics;
  tracing?: Tracing;
  /** Routes logged at debug only (the health probes). */
  quiet: ReadonlySet<string>;
}

export type OnResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/** A request no route matched is labelled "unmatched": a label per unknown URL would have no bound. */
export const UNMATCHED = 'unmatched';

export function responseObserver(options: ResponseObserverOptions): OnResponse {
  const { accessLog, metrics, tracing, quiet } = options;
  return (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    metrics?.request(route, request.method, status, ms / 1000);
    tracing?.end(request, route, status);
    if (accessLog) {
      const line = {
        event: 'http.request',
        method: request.method,
        route,
        status,
        ms: Math.round(ms * 100) / 100,
        ...(request.clientId !== null && { client_id: request.clientId }),
        remoteAddress: request.ip,
      };
      if (quiet.has(route)) request.log.debug(line, 'request');
      else request.log.info(line, 'request');
    }
    done();
  };
}
