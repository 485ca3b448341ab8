/**
 * Guarantee: a statement with parameters is parsed and planned by PostgreSQL once per connection, not on every run,
 * and a connection never holds more than MAX_NAMED of them.
 *
 * Each such statement is sent as a pg named query, its name a hash of its text, so the same SQL gets the same name
 * on every connection and a new connection (after a reconnect) simply prepares it again on first use: pg keeps the
 * names it has prepared per connection. Latch's set of statements is finite (the repositories' queries, a few
 * `in (...)` lengths), so all are kept; past MAX_NAMED distinct texts on one connection the rest run unnamed, as
 * before. Statements without parameters (DDL, begin, commit) keep the simple protocol, which allows several
 * statements in one text. A named statement PostgreSQL no longer accepts (its table's columns changed by a
 * migration of another instance: "cached plan must not change result type", or it is gone) runs unnamed from then on
 * on that connection, and the failed run is repeated once unnamed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

export const MAX_NAMED = 1000;

const names = new Map<string, string>();

/** The statement name of `text`: the same on every connection and in every process. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `latch_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    // The texts are Latch's own, a finite set; the bound is only a guard.
    if (names.size < 10 * MAX_NAMED) names.set(text, name);
  }
  return name;
}

/** PostgreSQL refused a prepared statement it had accepted before (its plan's result type changed, or it is gone). */
function isStalePrepared(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '26000' || (code === '0A000' && /cached plan/i.test(String((error as Error).message)));
}

/** `query(text, values)` of one pool client, named statements for those with parameters. */
export function preparedQueries(client: pg.PoolClient): (text: string, values: unknown[]) => Promise<pg.QueryResult> {
  const named = new Set<string>();
  const unnamed = new Set<string>();
  return async (text, values) => {
    if (values.length === 0 || unnamed.has(text)) return client.query(text, values);
    if (!named.has(text)) {
      if (named.size >= MAX_NAMED) return client.query(text, values);
      named.add(text);
    }
    try {
      return await client.query({ name: statementName(text), text, values });
    } catch (error) {
      if (!isStalePrepared(error)) throw error;
      named.delete(text);
      unnamed.add(text);
      return client.query(text, values);
    }
  };
}
