/**
 * Optional OpenTelemetry traces, exported over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per
 * request (route template, status) and per store statement (kind and table), the latter parented to the request it
 * ran for. The SDK is loaded only then, and nothing is registered globally: the provider belongs to one server.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span, Tracer } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoreListener } from '../storage/probe.js';
import type { Dialect } from '../storage/database.js';

export interface Tracing {
  /** Fastify hooks: onRequest starts the request's span, preHandler makes it the parent of the store's spans. */
  onRequest(request: FastifyRequest, reply: FastifyReply, done: () => void): void;
  preHandler(request: FastifyRequest, reply: FastifyReply, done: () => void): void;
  /** Ends the request's span; called from the response observer (access-log.ts). */
  end(request: FastifyRequest, route: string, status: number): void;
  storeListener(dialect: Dialect): StoreListener;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Traces when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, else undefined. */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const [api, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint + /v1/traces, headers, timeout) itself.
  const exporter = new OTLPTraceExporter();
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'latch' }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('latch');
  const current = new AsyncLocalStorage<Span>();
  const spans = new WeakMap<FastifyRequest, Span>();
  return {
    onRequest(request, _reply, done) {
      spans.set(request, tracer.startSpan(`${request.method}`, { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': request.method } }));
      done();
    },
    preHandler(request, _reply, done) {
      const span = spans.get(request);
      if (span) current.enterWith(span);
      done();
    },
    end(request, route, status) {
      const span = spans.get(request);
      if (!span) return;
      spans.delete(request);
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
    },
    storeListener(dialect) {
      return {
        query(o) {
          const parent = current.getStore();
          const context = parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT;
          const name = o.table ? `${o.kind} ${o.table}` : o.kind;
          const span = tracer.startSpan(
            name,
            { kind: api.SpanKind.CLIENT, startTime: performance.timeOrigin + o.startedAt, attributes: { 'db.system.name': dialect === 'postgres' ? 'postgresql' : 'sqlite', 'db.operation.name': o.kind, ...(o.table && { 'db.collection.name': o.table }) } },
            context,
          );
          if (o.failed) span.setStatus({ code: api.SpanStatusCode.ERROR });
          span.end(performance.timeOrigin + o.startedAt + o.durationMs);
        },
      };
    },
    shutdown: () => provider.shutdown(),
  };
}
