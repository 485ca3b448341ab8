import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { loadKeyRing } from '../keys/key-ring.js';
import { resolveSecret } from '../keys/secret.js';
import type { KeyRing } from '../keys/types.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { buildApp } from './app.js';
import type { AppContext } from './context.js';

export interface LatchServer {
  /** Where the server listens (may differ from the issuer behind a proxy). */
  url: string;
  app: FastifyInstance;
  store: OpenedStore;
  keys: KeyRing;
  config: Config;
  close(): Promise<void>;
}

const keyReloadInterval = 60_000;
const purgeInterval = 10 * 60_000;

/** Opens (and migrates) the store, loads or creates the signing keys, and listens. */
export async function startServer(config: Config, options: { store?: OpenedStore } = {}): Promise<LatchServer> {
  const store = options.store ?? (await openMigratedStore({ dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) }));
  const ownsStore = !options.store;
  try {
    const secret = await resolveSecret(config);
    const keys = await loadKeyRing({ repo: store.keys, secret, algorithms: config.keyAlgorithms });
    const ctx: AppContext = {
      config,
      store,
      keys,
      csrfKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch csrf', 32)),
      refreshSuccessorKey: Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch refresh successor', 32)),
      now: () => Math.floor(Date.now() / 1000),
    };
    const app = buildApp(ctx, { logLevel: config.logLevel, trustProxy: config.trustProxy });
    const address = await app.listen({ port: config.port, host: config.host });

    // Another instance or `latch keys rotate` may change the keys; expired rows are swept now and then.
    const timers = [
      setInterval(() => keys.reload().catch((err) => app.log.error({ err }, 'key reload failed')), keyReloadInterval),
      setInterval(() => store.purgeExpired(ctx.now()).catch((err) => app.log.error({ err }, 'purge failed')), purgeInterval),
    ];
    for (const timer of timers) timer.unref();

    return {
      url: address,
      app,
      store,
      keys,
      config,
      async close() {
        for (const timer of timers) clearInterval(timer);
        await app.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}
