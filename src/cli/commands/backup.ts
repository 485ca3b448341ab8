import { BackupError, backupSqlite } from '../../storage/sqlite/backup.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { usage } from '../usage.js';

/** `latch backup <file>`: a consistent copy of the SQLite database while the server runs; pg_dump for PostgreSQL. */
export async function backupCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  if (values.help) {
    ctx.io.stdout.write(usage.backup);
    return 0;
  }
  const [file] = expectPositionals(positionals, ['file'], 'backup') as [string];
  const config = ctx.config();
  if (config.databaseUrl !== undefined) {
    throw new CliError(
      `backup: the database is PostgreSQL; back it up with pg_dump (the password left out: give it in PGPASSWORD or ~/.pgpass): ${pgDumpCommand(config.databaseUrl, file)}`,
      { field: 'LATCH_DATABASE_URL' },
    );
  }
  let result: ReturnType<typeof backupSqlite>;
  try {
    result = backupSqlite(config.dataDir, file, { force: values.force === true });
  } catch (error) {
    if (error instanceof BackupError) {
      throw new CliError(`backup: ${error.message}`, error.reason === 'exists' ? { field: '--force' } : error.reason === 'no_database' ? { field: 'LATCH_DATA_DIR' } : { field: '<file>' });
    }
    throw error;
  }
  const text = [
    `Backed up ${result.source} to ${result.file} (${result.bytes} bytes, integrity ${result.integrity}).`,
    '',
    'The signing keys in it are encrypted with the secret, which is not in the copy: keep LATCH_SECRET',
    `(or ${config.dataDir}/secret.key) with it. To restore: stop Latch, put the copy in place as latch.db in the`,
    'data directory, remove latch.db-wal and latch.db-shm there, and start Latch with the same secret.',
  ].join('\n');
  ctx.print(values.json, { source: result.source, file: result.file, bytes: result.bytes, integrity: result.integrity }, text);
  return 0;
}

/** The pg_dump command for `databaseUrl`, its password left out (pg_dump reads PGPASSWORD or ~/.pgpass). */
export function pgDumpCommand(databaseUrl: string, file: string): string {
  let url = databaseUrl;
  try {
    const parsed = new URL(databaseUrl);
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase() === 'password') parsed.searchParams.delete(key);
    url = parsed.toString();
  } catch {
    url = databaseUrl.replace(/\/\/([^:/@]*):[^@]*@/, '//$1@');
  }
  return `pg_dump --format=custom --file=${shellQuote(file)} ${shellQuote(url)}`;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
