import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type OpenedPostgres } from './connection.js';
import { preparedQueries, statementName } from './prepared-statements.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const schema = `latch_prep_${randomBytes(6).toString('hex')}`;

describe('prepared statements (PostgreSQL)', () => {
  let opened: OpenedPostgres;
  beforeAll(async () => {
    opened = await openPostgres(databaseUrl, { schema });
    await sql`create table t (id integer primary key, v text)`.execute(opened.kysely);
    await sql`insert into t values (1, 'one'), (2, 'two')`.execute(opened.kysely);
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists "${schema}" cascade`).execute(opened.kysely);
    await opened.kysely.destroy();
  });

  const prepared = (client: pg.PoolClient) =>
    client.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements order by name');

  it('prepares a statement with parameters once per connection, named by the hash of its text', async () => {
    const pool = new pg.Pool({ connectionString: opened.connectionString, options: `-c search_path=${schema}`, max: 1 });
    const client = await pool.connect();
    try {
      const query = preparedQueries(client);
      const text = 'select v from t where id = $1';
      expect((await query(text, [1])).rows).toEqual([{ v: 'one' }]);
      expect((await query(text, [2])).rows).toEqual([{ v: 'two' }]);
      expect((await prepared(client)).rows).toEqual([{ name: statementName(text), statement: text }]);
      // Without parameters: the simple protocol (several statements in one text), nothing prepared.
      await query('select 1; select 2', []);
      expect((await prepared(client)).rows).toHaveLength(1);
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('a statement whose result type changed (another instance migrated) runs again unnamed', async () => {
    const pool = new pg.Pool({ connectionString: opened.connectionString, options: `-c search_path=${schema}`, max: 1 });
    const client = await pool.connect();
    try {
      const query = preparedQueries(client);
      const text = 'select * from t where id = $1';
      expect((await query(text, [1])).rows).toEqual([{ id: 1, v: 'one' }]);
      await client.query('alter table t add column w text');
      expect((await query(text, [1])).rows).toEqual([{ id: 1, v: 'one', w: null }]);
      expect((await query(text, [2])).rows).toEqual([{ id: 2, v: 'two', w: null }]);
    } finally {
      await client.query('alter table t drop column w');
      client.release();
      await pool.end();
    }
  });

  it('the store survives a lost connection: the new one prepares the statement again', async () => {
    const find = (id: number) => sql<{ v: string }>`select v from t where id = ${id}`.execute(opened.kysely);
    expect((await find(1)).rows).toEqual([{ v: 'one' }]);
    const pids = await opened.kysely.connection().execute(async (db) => {
      await sql`select v from t where id = ${2}`.execute(db);
      return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows;
    });
    const killer = new pg.Client({ connectionString: opened.connectionString });
    await killer.connect();
    await killer.query('select pg_terminate_backend(pid) from pg_stat_activity where pid = any($1)', [pids.map((r) => r.pid)]);
    await killer.end();
    // The dropped connection may fail one query (StoreUnavailableError); the pool then reconnects.
    await find(2).catch(() => undefined);
    for (let i = 0; i < 3; i++) expect((await find(2)).rows).toEqual([{ v: 'two' }]);
  });
});
