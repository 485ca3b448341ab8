/** The one place where column values are converted: JSON text, booleans, affected-row counts, conflicts. */
import { StorageConflictError } from '../types.js';

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** SQLite returns 0/1, PostgreSQL true/false. */
export function fromBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

/** True when an UPDATE or DELETE touched a row. */
export function affected(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): boolean {
  return (result.numUpdatedRows ?? result.numDeletedRows ?? 0n) > 0n;
}

/** Unique or primary-key violation: SQLite (better-sqlite3) or PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Runs an INSERT, turning a duplicate key into StorageConflictError. */
export function insertOnce(what: string, insert: () => Promise<unknown>): Promise<void> {
  // Not an async function: every token and code is written through here (see GroupCommitDriver.execute).
  let inserted: Promise<unknown>;
  try {
    inserted = insert();
  } catch (error) {
    return Promise.reject(error);
  }
  return inserted.then(
    () => undefined,
    (error: unknown) => {
      throw isUniqueViolation(error) ? new StorageConflictError(`${what} already exists`) : error;
    },
  );
}

/**
 * A JSON parser that parses each distinct text once: rows read on every request (a client's metadata, an
 * API's scopes) keep the same text until they change. The values are shared between callers, so they are
 * deep-frozen; a change to the row gives a new text and so a fresh value.
 */
export function sharedJsonParser<T>(maxEntries = 1000): (text: string) => T {
  const parsed = new Map<string, T>();
  return (text) => {
    const hit = parsed.get(text);
    if (hit !== undefined) return hit;
    const value = deepFreeze(JSON.parse(text) as T);
    if (parsed.size >= maxEntries) parsed.clear();
    parsed.set(text, value);
    return value;
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
