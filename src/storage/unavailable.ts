/**
 * The store cannot be reached for now (a database restart, failover, cut network, exhausted pool, or SQLite's
 * write lock held by another process). Both backends report such faults as this one error type, and `http/`
 * answers it with 503 and `Retry-After`: the request may succeed once the database is back.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'LATCH_STORE_UNAVAILABLE';
  /** Seconds after which a retry is worth it (`Retry-After`). */
  readonly retryAfter: number;

  constructor(message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.retryAfter = options.retryAfter ?? 5;
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}

/** Socket errors that mean the database server cannot be reached or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs (Appendix A): 57P01 admin_shutdown (pg_terminate_backend, a restart), 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up, recovering), 53300 too_many_connections; class 08 is
 * connection exception.
 */
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What pg and pg-pool say, without a code, when a connection breaks or cannot be had in time. */
const POSTGRES_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection ended unexpectedly',
];

/**
 * The one place that decides whether a driver error means "the store is unavailable for now": `error` itself
 * as a StoreUnavailableError when it does, else undefined (a bug, a constraint, bad SQL: not retryable).
 */
export function asStoreUnavailable(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_BUSY')) {
      return new StoreUnavailableError('the SQLite database is locked by another process', { cause: error, retryAfter: 1 });
    }
    if (NETWORK_CODES.has(code) || POSTGRES_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) {
      return new StoreUnavailableError(`the database is unreachable (${code}: ${error.message})`, { cause: error });
    }
  }
  if (POSTGRES_MESSAGES.some((message) => error.message.startsWith(message))) {
    return new StoreUnavailableError(`the database is unreachable (${error.message})`, { cause: error });
  }
  return undefined;
}

/** `error` as a StoreUnavailableError when it is one in disguise, else `error` unchanged. */
export function classifyStoreError(error: unknown): unknown {
  return asStoreUnavailable(error) ?? error;
}
