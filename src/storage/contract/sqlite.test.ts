import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, openStore } from '../open.js';
import { storeContract } from './contract.js';
import { migrationProvider, migrations } from '../sqlite/migration-provider.js';
import { expectDeviceGrantBackfill } from './device-grant-backfill.js';

const execFileAsync = promisify(execFile);
let root: string | undefined;

storeContract('sqlite', {
  open: () => {
    root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'latch-sqlite-'));
    return openStore({ dataDir: path.join(root, 'data') });
  },
  destroy: async () => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  },
});

describe('sqlite specifics', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-sqlite-'));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('creates the data directory and <dataDir>/latch.db, with WAL, synchronous=NORMAL, foreign keys and a busy timeout', async () => {
    const dir = path.join(scratch, 'nested', 'dir');
    const store = await openMigratedStore({ dataDir: dir });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(fs.existsSync(path.join(dir, 'latch.db'))).toBe(true);
      const pragma = async (name: string) =>
        Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.kysely)).rows[0] ?? {})[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it('migrates from two processes at once without applying anything twice', async () => {
    const dir = path.join(scratch, 'race');
    const child = fileURLToPath(new URL('./sqlite-migrate-process.ts', import.meta.url));
    const run = () => execFileAsync(process.execPath, ['--import', 'tsx', child, dir], { timeout: 20_000 });
    const outputs = await Promise.all([run(), run(), run()]);
    expect(outputs.flatMap(({ stdout }) => JSON.parse(stdout) as string[]).sort()).toEqual(Object.keys(migrations).sort());
  });

  it('finds tokens by grant, person and API through the partial indexes, cascades included', async () => {
    const store = await openMigratedStore({ dataDir: path.join(scratch, 'plans') });
    try {
      const plan = async (query: string) =>
        (await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(store.kysely)).rows.map((r) => r.detail).join(' | ');
      expect(await plan("update tokens set revoked_at = 1 where grant_id = 'g' and revoked_at is null")).toMatch(/USING INDEX tokens_grant_id_idx/);
      expect(await plan("select * from tokens where audience = 'a' and revoked_at is null")).toMatch(/USING INDEX tokens_audience_idx/);
      expect(await plan("delete from users where sub = 's'")).toMatch(/SEARCH tokens USING COVERING INDEX tokens_sub_idx/);
      expect(await plan("delete from grants where grant_id = 'g'")).toMatch(/SEARCH tokens USING COVERING INDEX tokens_grant_id_idx/);
      const indexes = await sql.raw<{ sql: string }>("select sql from sqlite_master where name = 'tokens_grant_id_idx'").execute(store.kysely);
      expect(indexes.rows[0]?.sql).toMatch(/where "?grant_id"? is not null/i);
    } finally {
      await store.close();
    }
  });

  it('lists events newest first, by type, person or client, through their indexes', async () => {
    const store = await openMigratedStore({ dataDir: path.join(scratch, 'event-plans') });
    try {
      const plan = async (query: string) =>
        (await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(store.kysely)).rows.map((r) => r.detail).join(' | ');
      const newest = 'order by at desc, id desc limit 20';
      expect(await plan(`select * from events where (at, id) < (5, 'x') ${newest}`)).toBe('SEARCH events USING INDEX events_at_id_idx ((at,id)<(?,?))');
      expect(await plan(`select * from events where type = 't' ${newest}`)).toBe('SEARCH events USING INDEX events_type_at_id_idx (type=?)');
      const person = await plan(`select * from events where (actor_sub = 's' or sub = 's') ${newest}`);
      expect(person).toMatch(/USING INDEX events_actor_sub_at_id_idx .*USING INDEX events_sub_at_id_idx/);
      expect(person).not.toMatch(/SCAN events/);
      const client = await plan(`select * from events where (actor_client_id = 'c' or client_id = 'c') ${newest}`);
      expect(client).toMatch(/USING INDEX events_actor_client_id_at_id_idx .*USING INDEX events_client_id_at_id_idx/);
      expect(await plan('delete from events where at < 5')).toMatch(/USING (COVERING )?INDEX events_at_id_idx/);
      expect(await plan('select * from grants order by created_at desc, grant_id desc limit 20')).toBe('SCAN grants USING INDEX grants_created_at_grant_id_idx');
    } finally {
      await store.close();
    }
  });

  it('migration 005 creates the grant of a device code approved before it', async () => {
    const store = await openStore({ dataDir: path.join(scratch, 'backfill') });
    try {
      await expectDeviceGrantBackfill(store, migrationProvider);
    } finally {
      await store.close();
    }
  });

  it('rejects a databaseUrl that is not PostgreSQL', async () => {
    await expect(openStore({ dataDir: scratch, databaseUrl: 'mysql://localhost/db' })).rejects.toThrow(/postgres/);
  });
});
