/**
 * Pages of lists (admin API): keyset pagination on (time, id), so that a page costs the same however deep it is and
 * rows written meanwhile neither repeat nor vanish. A cursor is the base64url JSON of [list, time, id] of the last
 * item given; anything else is refused with InvalidCursorError. Search is a case-insensitive substring match.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../database.js';
import { InvalidCursorError, type Page, type PageQuery } from '../types.js';

export interface PageKey {
  at: number;
  id: string;
}

export interface PageList<R> {
  /** Checked limit and decoded cursor of `query`; throws InvalidCursorError or RangeError. */
  start(query: PageQuery): { fetch: number; after: PageKey | undefined };
  /** Turns `fetch` rows (one more than the limit when there is a next page) into the page. */
  finish<T>(rows: R[], query: PageQuery, toRecord: (row: R) => T): Page<T>;
}

/** A list named `name` (cursors of another list are refused), whose rows are ordered by `keyOf`. */
export function pageList<R>(name: string, keyOf: (row: R) => PageKey): PageList<R> {
  return {
    start(query) {
      if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new RangeError(`page limit must be a positive integer, not ${query.limit}`);
      return { fetch: query.limit + 1, after: query.cursor === undefined ? undefined : decodeCursor(name, query.cursor) };
    },
    finish(rows, query, toRecord) {
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      const nextCursor = rows.length > query.limit && last !== undefined ? encodeCursor(name, keyOf(last)) : null;
      return { items: items.map(toRecord), nextCursor };
    },
  };
}

export function encodeCursor(name: string, key: PageKey): string {
  return Buffer.from(JSON.stringify([name, key.at, key.id]), 'utf8').toString('base64url');
}

function decodeCursor(name: string, cursor: string): PageKey {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw new InvalidCursorError();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(value) || value.length !== 3) throw new InvalidCursorError();
  const [list, at, id] = value as unknown[];
  if (list !== name || !Number.isSafeInteger(at) || typeof id !== 'string') throw new InvalidCursorError();
  return { at: at as number, id };
}

/** Rows after `key` in the order (timeColumn, idColumn), ascending or descending. */
export function afterKey(timeColumn: string, idColumn: string, key: PageKey, order: 'asc' | 'desc'): RawBuilder<SqlBool> {
  const row = sql`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)})`;
  return order === 'asc' ? sql<SqlBool>`${row} > (${key.at}, ${key.id})` : sql<SqlBool>`${row} < (${key.at}, ${key.id})`;
}

/** A search text worth filtering on, or undefined. */
export function searchText(query: PageQuery): string | undefined {
  return query.q === undefined || query.q === '' ? undefined : query.q;
}

/**
 * True when one of `values` contains `q`, ignoring case (PostgreSQL ILIKE; SQLite LIKE, which ignores the case of
 * ASCII letters only). `%`, `_` and the escape character in `q` match themselves.
 */
export function containsText(dialect: Dialect, values: ReadonlyArray<Expression<unknown>>, q: string): RawBuilder<SqlBool> {
  const pattern = `%${q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  const like = dialect === 'postgres' ? sql`ilike` : sql`like`;
  return sql<SqlBool>`(${sql.join(
    values.map((value) => sql`${value} ${like} ${pattern} escape '!'`),
    sql` or `,
  )})`;
}

/** The text of a top-level key of a JSON column (null when absent). */
export function jsonText(dialect: Dialect, column: string, key: string): RawBuilder<string | null> {
  return dialect === 'postgres'
    ? sql<string | null>`(${sql.ref(column)} ->> ${sql.lit(key)})`
    : sql<string | null>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${key}`)})`;
}
