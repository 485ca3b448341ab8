/**
 * What the store tells an observer about its own work, without knowing who listens (observability/ attaches the
 * metrics and the traces): each statement's time, SQLite's group-commit batches, PostgreSQL's pool. One probe per
 * opened store; with nobody attached, each call is one property check.
 */

export type QueryKind = 'select' | 'insert' | 'update' | 'delete' | 'transaction' | 'other';

export interface QueryObservation {
  kind: QueryKind;
  /** The table the statement names first, when it is cheap to see (`from x`, `into x`, `update x`), else ''. */
  table: string;
  /** When the statement was handed to the driver (performance.now()), and how long until it settled. */
  startedAt: number;
  durationMs: number;
  failed: boolean;
}

export interface StoreListener {
  query?(observation: QueryObservation): void;
  /** SQLite: the statements committed together at the end of a turn. */
  batch?(size: number): void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface StoreProbe {
  /** Starts telling `listener`; returns the function that stops it. */
  attach(listener: StoreListener): () => void;
  /** PostgreSQL: the connection pool right now; undefined for SQLite. */
  poolStats(): PoolStats | undefined;
}

/** The driver's side of the probe. */
export interface ProbeSink {
  readonly listener: StoreListener | undefined;
  query(sql: string, startedAt: number, failed: boolean): void;
  batch(size: number): void;
}

const KEYWORD = /^\s*\(?\s*([a-z]+)/i;
const TABLE = /\b(?:from|into|update)\s+"?([a-z_][a-z0-9_]*)"?/i;
const KINDS: Record<string, QueryKind> = {
  select: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  begin: 'transaction',
  commit: 'transaction',
  rollback: 'transaction',
  savepoint: 'transaction',
  release: 'transaction',
  end: 'transaction',
};

/** The kind of a statement from its first keyword; a CTE (`with ...`) counts as other. */
export function queryKind(sql: string): QueryKind {
  const keyword = KEYWORD.exec(sql)?.[1]?.toLowerCase() ?? '';
  return KINDS[keyword] ?? 'other';
}

export function queryTable(sql: string): string {
  return TABLE.exec(sql.slice(0, 400))?.[1]?.toLowerCase() ?? '';
}

/** Statement texts whose labels are remembered: Kysely's texts are parameterized, so a server has a few hundred. */
const LABEL_CACHE_SIZE = 2000;

export function createStoreProbe(poolStats: () => PoolStats | undefined = () => undefined): StoreProbe & ProbeSink {
  const listeners = new Set<StoreListener>();
  const labels = new Map<string, { kind: QueryKind; table: string }>();
  const labelsOf = (sql: string) => {
    let known = labels.get(sql);
    if (known === undefined) {
      known = { kind: queryKind(sql), table: queryTable(sql) };
      if (labels.size < LABEL_CACHE_SIZE) labels.set(sql, known);
    }
    return known;
  };
  let current: StoreListener | undefined;
  const refresh = () => {
    const all = [...listeners];
    current = all.length === 0 ? undefined : all.length === 1 ? all[0] : {
      query: (o) => all.forEach((l) => l.query?.(o)),
      batch: (n) => all.forEach((l) => l.batch?.(n)),
    };
  };
  return {
    get listener() {
      return current;
    },
    attach(listener) {
      listeners.add(listener);
      refresh();
      return () => {
        listeners.delete(listener);
        refresh();
      };
    },
    poolStats,
    query(sql, startedAt, failed) {
      const listener = current?.query ? current : undefined;
      if (!listener) return;
      const { kind, table } = labelsOf(sql);
      listener.query?.({ kind, table, startedAt, durationMs: performance.now() - startedAt, failed });
    },
    batch(size) {
      current?.batch?.(size);
    },
  };
}
