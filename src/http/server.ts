import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ensureBuiltins } from '../admin/builtins.js';
import { createClientKeys } from '../core/client-auth/client-keys.js';
import type { Config } from '../config/schema.js';
import { followKeyChanges } from '../keys/follow-changes.js';
import { loadKeyRing } from '../keys/key-ring.js';
import { resolveSecret } from '../keys/secret.js';
import type { KeyRing } from '../keys/types.js';
import { OneAtATime } from '../core/accounts/one-at-a-time.js';
import { createBackchannelDelivery } from '../core/oidc/backchannel-delivery.js';
import { pairwiseSaltFrom } from '../core/oidc/pairwise.js';
import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { createLogoCache } from '../pages/logo-cache.js';
import { createMailer } from '../mail/create-mailer.js';
import { TurnEnd } from '../runtime/turn-end.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { startPurgeSchedule } from '../storage/purge-schedule.js';
import { buildApp } from './app.js';
import type { AppContext } from './context.js';
import { registerHealth, healthPaths } from './routes/health.js';
import { responseObserver } from '../observability/access-log.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { listenMetrics, MetricsListenError, type MetricsListener } from '../observability/metrics-listener.js';
import { readinessCheck } from '../observability/readiness.js';
import { drain, DrainState } from '../observability/shutdown.js';
import { startTracing, type Tracing } from '../observability/tracing.js';
import type { EventType } from '../observability/events.js';
import type { Store } from '../storage/types.js';

export interface LatchServer {
  /** Where the server listens (may differ from the issuer behind a proxy). */
  url: string;
  app: FastifyInstance;
  store: OpenedStore;
  keys: KeyRing;
  config: Config;
  /** Derives the first-admin setup link's token (admin/setup.ts), from the server secret. */
  setupKey: Buffer;
  /** Where /metrics is served (LATCH_METRICS_ADDRESS), unless off. */
  metricsUrl?: string;
  close(): Promise<void>;
  /**
   * Graceful shutdown (observability/shutdown.ts): /readyz says draining for `delay` seconds while serving, then no new
   * connections and the requests in flight get `timeout` seconds; then everything closes. Defaults: the config's.
   */
  shutdown(options?: { delay?: number; timeout?: number }): Promise<{ forced: boolean }>;
}

/** How long closing waits for logout tokens still being delivered. */
const backchannelDrainMs = 2000;

/** How long /readyz waits for the store's answer. */
const readinessTimeoutMs = 2000;

/** The store as the routes see it: every recorded event is counted too. */
function countingEvents(store: OpenedStore, metrics: Metrics | undefined): Store {
  if (!metrics) return store;
  const events = store.events;
  return {
    ...store,
    events: {
      record: (event) => {
        metrics.event(event.type as EventType);
        return events.record(event);
      },
      page: (filter, query) => events.page(filter, query),
    },
  };
}

/** A safety net only: the store tells the server about key changes as they happen (followKeyChanges). */
const keyReloadInterval = 5 * 60_000;

/** Opens (and migrates) the store, loads or creates the signing keys, and listens. */
export async function startServer(config: Config, options: { store?: OpenedStore; logStream?: { write(line: string): void } } = {}): Promise<LatchServer> {
  // One end of the turn for the store, the keys and the app, so that their stages order (runtime/turn-end.ts);
  // a store opened by the caller brings its own.
  const turnEnd = options.store?.turnEnd ?? new TurnEnd();
  // Told about database connections lost while idle, once the app (and its logger) exists.
  let onConnectionError = (error: Error): void => void error;
  let onLogoFailure = (url: string, reason: string): void => void [url, reason];
  const store =
    options.store ??
    (await openMigratedStore({
      dataDir: config.dataDir,
      turnEnd,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      connectTimeoutMs: config.databaseConnectTimeout * 1000,
      onConnectionError: (error) => onConnectionError(error),
      sqliteLockWaitMs: config.sqliteLockTimeout * 1000,
    }));
  const ownsStore = !options.store;
  const metrics = config.metricsAddress === 'off' ? undefined : await createMetrics();
  let tracing: Tracing | undefined;
  let stopProbing = () => undefined as void;
  const drainState = new DrainState();
  try {
    tracing = await startTracing();
    stopProbing = attachProbe(store, metrics, tracing);
    await ensureBuiltins(store, config.issuer);
    const secret = await resolveSecret(config, { sharedDatabase: store.dialect === 'postgres' });
    const keys = await loadKeyRing({ repo: store.keys, secret, algorithms: config.keyAlgorithms, turnEnd });
    const now = () => Math.floor(Date.now() / 1000);
    const counted = countingEvents(store, metrics);
    // One queue of logout tokens per server (Back-Channel Logout 1.0), drained when the server closes.
    const backchannel = createBackchannelDelivery({
      issuer: config.issuer,
      store: counted,
      keys,
      allowPrivate: config.fetchAllowPrivate,
      timeoutMs: config.backchannelLogoutTimeout * 1000,
      attempts: config.backchannelLogoutAttempts,
      pairwiseSalt: pairwiseSaltFrom(secret),
      now,
      log: { warn: (obj, msg) => app.log.warn(obj, msg) },
    });
    const ctx: AppContext = {
      config,
      store: counted,
      keys,
      csrfKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch csrf', 32)),
      refreshSuccessorKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch refresh successor', 32)),
      pairwiseSalt: pairwiseSaltFrom(secret),
      passwordTurns: new OneAtATime(),
      passwords: loadPasswordPolicy(),
      logos: createLogoCache({ allowPrivate: config.fetchAllowPrivate, onFailure: (url, reason) => onLogoFailure(url, reason) }),
      mailer: createMailer(config, { log: () => app.log }),
      clientKeys: createClientKeys({ allowPrivate: config.fetchAllowPrivate }),
      keySecret: secret,
      now,
      ...(metrics && { metrics }),
      backchannelLogout: backchannel,
    };
    // Below info the access line would be built only to be dropped.
    const accessLog = config.accessLog && ['info', 'debug', 'trace'].includes(config.logLevel);
    const app = buildApp(ctx, {
      logLevel: config.logLevel,
      trustProxy: config.trustProxy,
      turnEnd,
      timeouts: { request: config.requestTimeout, headers: config.headersTimeout },
      ...(options.logStream && { logStream: options.logStream }),
      ...((accessLog || metrics || tracing) && {
        onResponse: responseObserver({ accessLog, quiet: healthPaths, ...(metrics && { metrics }), ...(tracing && { tracing }) }),
      }),
      ...(tracing && { tracing }),
      draining: () => drainState.draining,
    });
    registerHealth(app, readinessCheck({ kysely: store.kysely, dialect: store.dialect, keys, timeoutMs: readinessTimeoutMs, draining: () => drainState.draining }));
    onConnectionError = (err) => app.log.error({ err }, 'database connection lost; the pool reconnects on the next query');
    onLogoFailure = (url, reason) => app.log.warn({ event: 'pages.logo_unavailable', url, reason }, 'a logo could not be fetched; the pages show none for now');
    // Another instance or `latch keys rotate` may change the keys; expired rows are swept now and then.
    const stopFollowingKeys = followKeyChanges(keys, store.keyChanges, {
      safetyIntervalMs: keyReloadInterval,
      onError: (err) => app.log.error({ err }, 'key reload failed'),
    });
    let address: string;
    let metricsListener: MetricsListener | undefined;
    try {
      address = await app.listen({ port: config.port, host: config.host });
      const metricsAddress = config.metricsAddress;
      if (metrics && metricsAddress !== 'off') {
        metricsListener = await listenMetrics(metrics, metricsAddress, (err) => app.log.error({ err }, 'metrics listener failed')).catch(async (err: unknown) => {
          await app.close();
          throw new MetricsListenError(metricsAddress, err);
        });
      }
    } catch (err) {
      stopFollowingKeys();
      throw err;
    }

    const purges = startPurgeSchedule(store, { intervalSeconds: config.purgeInterval, eventRetentionDays: config.eventRetentionDays, now: ctx.now, log: app.log });

    let closing: Promise<void> | undefined;
    const closeRest = async () => {
      // Logout tokens still being delivered get a moment (the store must still be open to record how it went).
      await backchannel.close(backchannelDrainMs);
      await purges.stop();
      stopFollowingKeys();
      await metricsListener?.close();
      stopProbing();
      await tracing?.shutdown().catch((err: unknown) => app.log.warn({ err }, 'sending the last traces failed'));
      if (ownsStore) await store.close();
    };
    return {
      url: address,
      app,
      store,
      keys,
      config,
      setupKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch admin setup', 32)),
      ...(metricsListener && { metricsUrl: metricsListener.url }),
      close: () => (closing ??= app.close().then(closeRest)),
      async shutdown(options = {}) {
        const result = await drain(drainState, {
          delayMs: (options.delay ?? config.shutdownDelay) * 1000,
          timeoutMs: (options.timeout ?? config.shutdownTimeout) * 1000,
          server: app.server,
          closeApp: () => app.close(),
          log: app.log,
        });
        await (closing ??= closeRest());
        return result;
      },
    };
  } catch (err) {
    stopProbing();
    await tracing?.shutdown().catch(() => undefined);
    if (ownsStore) await store.close();
    throw err;
  }
}

/** Store statements (and SQLite batches, PostgreSQL's pool) to the metrics and the traces. */
function attachProbe(store: OpenedStore, metrics: Metrics | undefined, tracing: Tracing | undefined): () => void {
  const listeners = [metrics?.storeListener(store.dialect), tracing?.storeListener(store.dialect)].filter((l) => l !== undefined);
  if (metrics) metrics.watchPool(store.probe);
  const detach = listeners.map((listener) => store.probe.attach(listener));
  return () => detach.forEach((d) => d());
}
