/**
 * The store could not be opened: PostgreSQL unreachable, unknown host, missing database, refused login;
 * or the SQLite file or its directory not usable. `target` says what was tried (host:port / database, or
 * the file), never a password; `reason` says why in a few words.
 */
export class StoreOpenError extends Error {
  constructor(
    readonly dialect: 'postgres' | 'sqlite',
    readonly target: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`cannot open the ${dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} database at ${target}: ${reason}`, options);
    this.name = 'StoreOpenError';
  }
}

/** `host:port / database` of a postgres:// URL, with pg's defaults; without user name or password. */
export function postgresTarget(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'an unparsable postgres:// URL';
  }
  const host = url.searchParams.get('host') || decodeURIComponent(url.hostname) || process.env.PGHOST || 'localhost';
  const port = url.searchParams.get('port') || url.port || process.env.PGPORT || '5432';
  const user = decodeURIComponent(url.username) || process.env.PGUSER || process.env.USER || '';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || process.env.PGDATABASE || user;
  return `${host.startsWith('/') ? host : `${host}:${port}`} / database ${database || '(default)'}`;
}

const networkReasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running and listening there?)',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the server closed the connection',
  ENOENT: 'no socket there (is PostgreSQL running?)',
};

/** Why a first connection failed, in a few words (pg and Node errors; AggregateError for several addresses). */
export function postgresReason(error: unknown): string {
  const first = error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as unknown) : error;
  const { code, message } = (first ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && networkReasons[code]) return networkReasons[code];
  // SQLSTATE 3D000 invalid_catalog_name, 28P01 invalid_password, 28000 invalid_authorization_specification.
  if (code === '3D000') return `${String(message)} (create it, e.g. createdb, or fix the URL)`;
  return typeof message === 'string' && message !== '' ? message : String(first);
}

const fileReasons: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  SQLITE_CANTOPEN: 'the file cannot be opened',
  SQLITE_NOTADB: 'the file is not a SQLite database',
  SQLITE_CORRUPT: 'the database file is damaged',
  SQLITE_READONLY: 'the file is read-only',
};

export function sqliteReason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && fileReasons[code]) return fileReasons[code];
  return typeof message === 'string' && message !== '' ? message : String(error);
}
