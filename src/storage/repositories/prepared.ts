import type { Compilable, CompiledQuery, Insertable, Kysely, QueryResult } from 'kysely';
import type { Database } from '../database.js';

const MARKER = '\u0000latch-parameter:';

/** Stands for a parameter while the query is built; its value is given on each run. */
export type Parameter = <T>(name: string) => T;

type Slot = { name: string } | { value: unknown };

type Execute = (query: CompiledQuery) => Promise<QueryResult<unknown>>;

/** Drivers that can run a compiled query without Kysely's executor (the SQLite group-commit driver). */
const directExecutes = new WeakMap<Kysely<Database>, Execute>();

/** Prepared queries on `db` run through `execute` instead of `db.executeQuery`. */
export function registerDirectExecute(db: Kysely<Database>, execute: Execute): void {
  directExecutes.set(db, execute);
}

/**
 * A query built and compiled by Kysely once, then run many times with new parameter values: the hot
 * queries (a client, a token, a grant by key) skip Kysely's building and compiling on every request,
 * about 15% of a token request's CPU. The statement text stays the same, so the SQLite connection's
 * statement cache hands back the already prepared statement; PostgreSQL gets the same query text.
 *
 * `build` receives `p`: `p('digest')` marks where the value of `digest` goes. Every value not marked
 * is a constant of the query and is kept as compiled.
 */
export function prepare<P extends Record<string, unknown>, R>(
  db: Kysely<Database>,
  build: (p: Parameter) => Compilable<R>,
): (params: P) => Promise<QueryResult<R>> {
  const compiled = build(<T>(name: string) => `${MARKER}${name}` as T).compile();
  const slots: Slot[] = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARKER) ? { name: value.slice(MARKER.length) } : { value },
  );
  const execute: Execute = directExecutes.get(db) ?? ((query) => db.executeQuery(query));
  return (params) => {
    const parameters = slots.map((slot) => {
      if (!('name' in slot)) return slot.value;
      const value = params[slot.name];
      if (value === undefined) throw new TypeError(`prepared query: no value for parameter ${slot.name}`);
      return value;
    });
    const query: CompiledQuery<R> = { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, parameters };
    return execute(query) as Promise<QueryResult<R>>;
  };
}

/** The first row of a prepared query's result, if any. */
export async function first<R>(result: Promise<QueryResult<R>>): Promise<R | undefined> {
  return (await result).rows[0];
}

/**
 * A prepared INSERT of one row into `table`, every column in `columns` a parameter. The row passed on each
 * run must give each of them a value (null for SQL NULL).
 */
export function prepareInsert<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  columns: ReadonlyArray<keyof Database[T] & string>,
): (row: Insertable<Database[T]>) => Promise<QueryResult<unknown>> {
  const run = prepare<Record<string, unknown>, unknown>(db, (p) =>
    // Kysely cannot type a row whose columns are only known as a list; the returned function is typed instead.
    db.insertInto(table).values(Object.fromEntries(columns.map((column) => [column, p(column)])) as never),
  );
  return (row) => run(row as Record<string, unknown>);
}
