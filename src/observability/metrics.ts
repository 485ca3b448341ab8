/**
 * Prometheus metrics of one server instance: its own Registry (never prom-client's global one), so several servers
 * in one process count apart. Cheap on the hot path: counters and histograms with bounded labels only (a route
 * template, never a URL; a status; a grant type from the registry; an error code; an event type).
 */
import type { Registry } from 'prom-client';
import type { Dialect } from '../storage/database.js';
import type { QueryObservation, StoreListener, StoreProbe } from '../storage/probe.js';
import type { EventType } from './events.js';
import { SeriesCounter, SeriesHistogram } from './series.js';

/** Seconds: from a cached answer (100 µs) to a slow password hash or a store outage (10 s). */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const queryBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What the rest of Latch counts; each call is a label lookup and an add. */
export interface Metrics {
  readonly registry: Registry;
  request(route: string, method: string, status: number, seconds: number): void;
  tokenIssued(grantType: string, clientType: 'public' | 'confidential'): void;
  tokenFailed(error: string): void;
  event(type: EventType): void;
  /** A store listener (storage/probe.ts) that times statements and sizes SQLite batches. */
  storeListener(dialect: Dialect): StoreListener;
  /** PostgreSQL's pool gauges read the probe at each scrape. */
  watchPool(probe: StoreProbe): void;
  /** Prometheus text format. */
  text(): Promise<string>;
}

/** Event types counted as sign-ins, and the outcome each stands for. */
const signInOutcomes: Partial<Record<EventType, string>> = {
  'login.succeeded': 'succeeded',
  'login.failed': 'failed',
  'login.throttled': 'throttled',
};

const errorCode = /^[a-z_]{1,40}$/;

/** Loads prom-client (about 12 MB with its default metrics: only when metrics are served) and creates the metrics. */
export async function createMetrics(): Promise<Metrics> {
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // The per-request and per-statement series (series.ts): the hot path.
  const requests = new SeriesCounter('latch_http_requests_total', 'HTTP requests answered, by route template, method and status.');
  const duration = new SeriesHistogram('latch_http_request_duration_seconds', 'Time from request to answer, by route template and method.', latencyBuckets);
  const queries = new SeriesHistogram('latch_store_query_duration_seconds', 'Store statements, from hand-off to the driver to result (SQLite: including the wait for the batch commit).', queryBuckets);
  for (const metric of [requests, duration, queries]) registry.registerMetric(metric as never);
  // One lookup per answer for both of its series; bounded by routes x methods x statuses.
  const perRequest = new Map<string, { count: ReturnType<SeriesCounter['cell']>; duration: ReturnType<SeriesHistogram['cell']> }>();
  const rateLimited = new Counter({ name: 'latch_rate_limited_total', help: 'Answers 429 Too Many Requests (throttled sign-ins, client secrets, codes, polls), by route.', labelNames: ['route'], registers });
  // On every token response: a series cell, as for the per-request series.
  const tokens = new SeriesCounter('latch_tokens_issued_total', 'Successful token responses, by grant type and client type.');
  registry.registerMetric(tokens as never);
  const tokenFailures = new Counter({ name: 'latch_token_failures_total', help: 'Refused token requests, by OAuth error code.', labelNames: ['error'], registers });
  const events = new Counter({ name: 'latch_events_total', help: 'Audit events recorded, by type (observability/events.ts).', labelNames: ['type'], registers });
  const signIns = new Counter({ name: 'latch_sign_ins_total', help: 'Sign-in attempts, by outcome (succeeded, failed, throttled).', labelNames: ['outcome'], registers });
  const queryErrors = new Counter({ name: 'latch_store_query_errors_total', help: 'Store statements that failed, by dialect and kind.', labelNames: ['dialect', 'kind'], registers });
  const batches = new Histogram({ name: 'latch_sqlite_commit_batch_size', help: 'SQLite group commit: statements committed together at the end of a turn.', buckets: batchBuckets, registers });
  const pools: StoreProbe[] = [];
  const poolGauge = (name: string, help: string, pick: (s: { total: number; idle: number; waiting: number }) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        let sum = 0;
        for (const probe of pools) {
          const stats = probe.poolStats();
          if (stats) sum += pick(stats);
        }
        this.set(sum);
      },
    });
  poolGauge('latch_postgres_pool_connections', 'PostgreSQL pool: open connections.', (s) => s.total);
  poolGauge('latch_postgres_pool_idle', 'PostgreSQL pool: idle connections.', (s) => s.idle);
  poolGauge('latch_postgres_pool_waiting', 'PostgreSQL pool: queries waiting for a connection.', (s) => s.waiting);


  return {
    registry,
    request(route, method, status, seconds) {
      const key = `${status} ${method} ${route}`;
      let cells = perRequest.get(key);
      if (cells === undefined) {
        cells = { count: requests.cell(key, () => ({ route, method, status })), duration: duration.cell(`${method} ${route}`, () => ({ route, method })) };
        perRequest.set(key, cells);
      }
      cells.count.value += 1;
      duration.observe(cells.duration, seconds);
      if (status === 429) rateLimited.inc({ route });
    },
    // Only grant types of the registry issue tokens: the label set is bounded by it.
    tokenIssued(grantType, clientType) {
      tokens.cell(`${grantType} ${clientType}`, () => ({ grant_type: grantType, client_type: clientType })).value += 1;
    },
    tokenFailed(error) {
      tokenFailures.inc({ error: errorCode.test(error) ? error : 'other' });
    },
    event(type) {
      events.inc({ type });
      const outcome = signInOutcomes[type];
      if (outcome) signIns.inc({ outcome });
    },
    storeListener(dialect) {
      return {
        query(o: QueryObservation) {
          queries.observe(queries.cell(dialect + o.kind, () => ({ dialect, kind: o.kind })), o.durationMs / 1000);
          if (o.failed) queryErrors.inc({ dialect, kind: o.kind });
        },
        ...(dialect === 'sqlite' && { batch: (size: number) => batches.observe(size) }),
      };
    },
    watchPool(probe) {
      pools.push(probe);
    },
    text: () => registry.metrics(),
  };
}
