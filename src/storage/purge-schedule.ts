import type { PurgedTable, PurgeReport, Store } from './types.js';

export interface PurgeLog {
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PurgeSettings {
  /** Events older than this many days go with the expired rows. */
  eventRetentionDays: number;
  /** Unix seconds now. */
  now: () => number;
}

export interface PurgeOutcome extends PurgeReport {
  /** How long the run took, in milliseconds. */
  ms: number;
}

/** One purge now: expired rows, and the events older than the retention (the server's timer and `latch purge`). */
export async function purgeNow(store: Pick<Store, 'purgeExpired'>, settings: PurgeSettings, options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<PurgeOutcome> {
  const started = performance.now();
  const now = settings.now();
  const report = await store.purgeExpired(now, { eventsBefore: now - settings.eventRetentionDays * 86_400, ...options });
  return { ...report, ms: Math.round(performance.now() - started) };
}

/** The tables a run deleted rows from, with their counts. */
export function deletedOnly(deleted: Record<PurgedTable, number>): Partial<Record<PurgedTable, number>> {
  return Object.fromEntries(Object.entries(deleted).filter(([, n]) => n > 0));
}

export interface PurgeSchedule {
  /** Stops the timer; a run under way stops after its current batch, and this waits for it. */
  stop(): Promise<void>;
}

/**
 * Purges every `intervalSeconds` (0: never), one run at a time. A run that fails (the store down, a lost
 * connection) is logged and tried again at the next interval: it never ends the process. On PostgreSQL the
 * instances race for the purge lock each time and the others skip (repositories/purge.ts).
 */
export function startPurgeSchedule(
  store: Pick<Store, 'purgeExpired'>,
  settings: PurgeSettings & { intervalSeconds: number; log: PurgeLog },
): PurgeSchedule {
  if (settings.intervalSeconds === 0) return { stop: async () => undefined };
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  const run = async (): Promise<void> => {
    try {
      const outcome = await purgeNow(store, settings, { signal: abort.signal });
      const deleted = deletedOnly(outcome.deleted);
      if (!outcome.ran) settings.log.debug({ event: 'storage.purge_skipped' }, 'another instance is purging expired rows');
      else if (Object.keys(deleted).length > 0) settings.log.info({ event: 'storage.purged', deleted, ms: outcome.ms }, 'purged expired rows');
    } catch (err) {
      settings.log.error({ err, event: 'storage.purge_failed' }, 'purging expired rows failed; trying again at the next interval');
    }
  };
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = run().finally(() => {
      running = undefined;
    });
  }, settings.intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
