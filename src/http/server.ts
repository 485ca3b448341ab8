import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ensureBuiltins } from '../admin/builtins.js';
import type { Config } from '../config/schema.js';
import { followKeyChanges } from '../keys/follow-changes.js';
import { loadKeyRing } from '../keys/key-ring.js';
import { resolveSecret } from '../keys/secret.js';
import type { KeyRing } from '../keys/types.js';
import { OneAtATime } from '../core/accounts/one-at-a-time.js';
import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { createLogoCache } from '../pages/logo-cache.js';
import { createMailer } from '../mail/create-mailer.js';
import { TurnEnd } from '../runtime/turn-end.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { startPurgeSchedule } from '../storage/purge-schedule.js';
import { buildApp } from './app.js';
import type { AppContext } from './context.js';

export interface LatchServer {
  /** Where the server listens (may differ from the issuer behind a proxy). */
  url: string;
  app: FastifyInstance;
  store: OpenedStore;
  keys: KeyRing;
  config: Config;
  /** Derives the first-admin setup link's token (admin/setup.ts), from the server secret. */
  setupKey: Buffer;
  close(): Promise<void>;
}

/** A safety net only: the store tells the server about key changes as they happen (followKeyChanges). */
const keyReloadInterval = 5 * 60_000;

/** Opens (and migrates) the store, loads or creates the signing keys, and listens. */
export async function startServer(config: Config, options: { store?: OpenedStore } = {}): Promise<LatchServer> {
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
  try {
    await ensureBuiltins(store, config.issuer);
    const secret = await resolveSecret(config, { sharedDatabase: store.dialect === 'postgres' });
    const keys = await loadKeyRing({ repo: store.keys, secret, algorithms: config.keyAlgorithms, turnEnd });
    const ctx: AppContext = {
      config,
      store,
      keys,
      csrfKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch csrf', 32)),
      refreshSuccessorKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch refresh successor', 32)),
      passwordTurns: new OneAtATime(),
      passwords: loadPasswordPolicy(),
      logos: createLogoCache({ allowPrivate: config.fetchAllowPrivate, onFailure: (url, reason) => onLogoFailure(url, reason) }),
      mailer: createMailer(config, { log: () => app.log }),
      keySecret: secret,
      now: () => Math.floor(Date.now() / 1000),
    };
    const app = buildApp(ctx, {
      logLevel: config.logLevel,
      trustProxy: config.trustProxy,
      turnEnd,
      timeouts: { request: config.requestTimeout, headers: config.headersTimeout },
    });
    onConnectionError = (err) => app.log.error({ err }, 'database connection lost; the pool reconnects on the next query');
    onLogoFailure = (url, reason) => app.log.warn({ event: 'pages.logo_unavailable', url, reason }, 'a logo could not be fetched; the pages show none for now');
    // Another instance or `latch keys rotate` may change the keys; expired rows are swept now and then.
    const stopFollowingKeys = followKeyChanges(keys, store.keyChanges, {
      safetyIntervalMs: keyReloadInterval,
      onError: (err) => app.log.error({ err }, 'key reload failed'),
    });
    let address: string;
    try {
      address = await app.listen({ port: config.port, host: config.host });
    } catch (err) {
      stopFollowingKeys();
      throw err;
    }

    const purges = startPurgeSchedule(store, { intervalSeconds: config.purgeInterval, eventRetentionDays: config.eventRetentionDays, now: ctx.now, log: app.log });

    return {
      url: address,
      app,
      store,
      keys,
      config,
      setupKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch admin setup', 32)),
      async close() {
        await purges.stop();
        stopFollowingKeys();
        await app.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}
