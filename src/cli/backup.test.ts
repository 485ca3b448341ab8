import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgDumpCommand } from './commands/backup.js';
import { expectCode, runLatch } from './test-helpers.js';

let dir: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latch-cli-backup-'));
  dataDir = join(dir, 'data');
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const latch = (argv: string[], extra: NodeJS.ProcessEnv = {}) => runLatch(argv, { env: { ...env, ...extra } });

function clientIdsIn(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return (db.prepare('select client_id from clients order by client_id').all() as { client_id: string }[]).map((r) => r.client_id);
  } finally {
    db.close();
  }
}

describe('latch backup (SQLite)', () => {
  it('copies the database to a private file that passes integrity_check, and says what to keep with it', async () => {
    const created = await latch(['clients', 'create', '--name', 'Backed up', '--type', 'm2m', '--client-id', 'backed-up', '--json']);
    expectCode(created, 0);
    const file = join(dir, 'latch-backup.db');
    const result = await latch(['backup', file]);
    expectCode(result, 0);
    expect(result.stdout).toMatch(/^Backed up .*latch\.db to .*latch-backup\.db \(\d+ bytes, integrity ok\)/);
    expect(result.stdout).toMatch(/LATCH_SECRET/);
    expect(result.stdout).toMatch(/secret\.key/);
    expect(result.stdout).toMatch(/remove latch\.db-wal and latch\.db-shm/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(clientIdsIn(file)).toContain('backed-up');

    const json = await latch(['backup', join(dir, 'second.db'), '--json']);
    expectCode(json, 0);
    expect(json.json()).toEqual({ source: join(dataDir, 'latch.db'), file: join(dir, 'second.db'), bytes: statSync(join(dir, 'second.db')).size, integrity: 'ok' });
  });

  it('refuses to replace an existing file unless --force, and leaves it as it was', async () => {
    expectCode(await latch(['clients', 'create', '--name', 'A', '--type', 'm2m', '--client-id', 'first']), 0);
    const file = join(dir, 'exists.db');
    writeFileSync(file, 'not a database');
    const refused = await latch(['backup', file]);
    expectCode(refused, 1);
    expect(refused.stderr).toMatch(/exists; pass --force to replace it/);
    expect(readFileSync(file, 'utf8')).toBe('not a database');
    const json = await latch(['backup', file, '--json']);
    expectCode(json, 1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'failed', field: '--force' });

    const forced = await latch(['backup', file, '--force']);
    expectCode(forced, 0);
    expect(clientIdsIn(file)).toEqual(['first']);
    // Nothing left beside it: the copy is made under a temporary name, then moved in place.
    expect(readdirSync(dir).sort()).toEqual(['data', 'exists.db']);
  });

  it('refuses without a database, onto the database itself, and without a file', async () => {
    const none = await latch(['backup', join(dir, 'x.db'), '--json']);
    expectCode(none, 1);
    expect(JSON.parse(none.stderr)).toMatchObject({ field: 'LATCH_DATA_DIR', message: expect.stringMatching(/no database at/) });

    expectCode(await latch(['clients', 'list']), 0);
    const itself = await latch(['backup', join(dataDir, 'latch.db'), '--force']);
    expectCode(itself, 1);
    expect(itself.stderr).toMatch(/is the database itself/);

    const missing = await latch(['backup']);
    expectCode(missing, 2);
    expect(missing.stderr).toMatch(/backup: missing <file>/);
    expect((await latch(['help', 'backup'])).stdout).toMatch(/Usage: latch backup <file> \[--force\]/);
  });
});

describe('latch backup (PostgreSQL)', () => {
  it('names pg_dump with the exact command for the configured URL, the password left out, and exits 1', async () => {
    const url = 'postgres://latch:s3cr%3Ft@db.internal:5432/latch?sslmode=require';
    const result = await latch(['backup', '/backups/latch.dump'], { LATCH_DATABASE_URL: url, LATCH_SECRET: 'A'.repeat(43) });
    expectCode(result, 1);
    expect(result.stderr).toContain("pg_dump --format=custom --file=/backups/latch.dump 'postgres://latch@db.internal:5432/latch?sslmode=require'");
    expect(result.stderr).toMatch(/PGPASSWORD/);
    expect(result.stderr).not.toMatch(/s3cr/);
    const json = await latch(['backup', 'x.dump', '--json'], { LATCH_DATABASE_URL: url });
    expectCode(json, 1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'failed', field: 'LATCH_DATABASE_URL' });
  });

  it('quotes what the shell would split, and drops a password given as a parameter', () => {
    expect(pgDumpCommand('postgresql://127.0.0.1/test', 'my backup.dump')).toBe("pg_dump --format=custom --file='my backup.dump' postgresql://127.0.0.1/test");
    expect(pgDumpCommand('postgres://u@h/d?password=x&application_name=latch', "it's.dump")).toBe(
      "pg_dump --format=custom --file='it'\\''s.dump' 'postgres://u@h/d?application_name=latch'",
    );
  });
});
