/**
 * Whether this instance should get traffic: the store answers a trivial query in time, every migration this
 * version knows is applied, and the signing keys are loaded. Never throws: a failure is a reason, for a 503.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Dialect } from '../storage/database.js';
import type { KeyRing } from '../keys/types.js';

export type Readiness = { status: 'ready' | 'draining' } | { status: 'unavailable'; reason: string };

export interface ReadinessDeps {
  kysely: Kysely<Database>;
  dialect: Dialect;
  keys: Pick<KeyRing, 'algorithms'>;
  /** How long the store's answer may take before the instance counts as unavailable. */
  timeoutMs: number;
  /** True once a shutdown has begun (observability/shutdown.ts). */
  draining(): boolean;
}

async function knownMigrations(dialect: Dialect): Promise<string[]> {
  const { migrations } = dialect === 'postgres' ? await import('../storage/postgres/migration-provider.js') : await import('../storage/sqlite/migration-provider.js');
  return Object.keys(migrations);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // One line, short: a probe's body is read by people and load balancers, not parsed.
  return message.split('\n')[0]?.slice(0, 200) ?? 'unknown';
}

export function readinessCheck(deps: ReadinessDeps): () => Promise<Readiness> {
  let expected: Promise<string[]> | undefined;
  // A store that hangs keeps the query (and its connection) busy past the timeout: later probes wait for that one
  // instead of taking another connection each.
  let inFlight: Promise<{ rows: Array<{ name: string }> }> | undefined;
  const applied = () =>
    (inFlight ??= sql<{ name: string }>`select name from kysely_migration`.execute(deps.kysely).finally(() => {
      inFlight = undefined;
    }));
  return async () => {
    if (deps.draining()) return { status: 'draining' };
    let names: Set<string>;
    try {
      const { rows } = await withTimeout(applied(), deps.timeoutMs);
      names = new Set(rows.map((r) => r.name));
    } catch (error) {
      return { status: 'unavailable', reason: `store: ${reasonOf(error)}` };
    }
    const pending = (await (expected ??= knownMigrations(deps.dialect))).filter((name) => !names.has(name));
    if (pending.length > 0) return { status: 'unavailable', reason: `migrations: ${pending.length} pending (${pending.slice(0, 3).join(', ')}); run latch migrate` };
    if (deps.keys.algorithms.length === 0) return { status: 'unavailable', reason: 'keys: no active signing key loaded' };
    return { status: 'ready' };
  };
}
