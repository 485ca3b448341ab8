import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_FILE_NAME } from './connection.js';

export class BackupError extends Error {
  /** exists: the destination is there (and no `force`); no_database: nothing to copy; same_file: the copy would overwrite the database. */
  readonly reason: 'exists' | 'no_database' | 'same_file';

  constructor(reason: BackupError['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
    this.reason = reason;
  }
}

export interface BackupResult {
  /** The database copied. */
  source: string;
  /** The copy, as an absolute path. */
  file: string;
  bytes: number;
  /** PRAGMA integrity_check of the copy: "ok". */
  integrity: string;
}

/**
 * Copies `<dataDir>/latch.db` to `file` while servers may be writing to it: VACUUM INTO reads one snapshot (a WAL
 * read transaction, which blocks no writer) into a new database file, so the copy is consistent as of one moment
 * and holds no half-committed turn. The copy is written beside `file` under a temporary name, checked
 * (integrity_check), flushed to disk (VACUUM INTO does not fsync), then put in place: it never replaces an existing
 * file unless `force`, and a failed backup leaves nothing behind. The copy gets mode 0600, like latch.db.
 */
export function backupSqlite(dataDir: string, file: string, options: { force?: boolean } = {}): BackupResult {
  const source = path.resolve(dataDir, SQLITE_FILE_NAME);
  const target = path.resolve(file);
  if (!fs.existsSync(source)) throw new BackupError('no_database', `no database at ${source} (LATCH_DATA_DIR): nothing to back up`);
  if (fs.existsSync(target)) {
    if (fs.realpathSync(target) === fs.realpathSync(source)) throw new BackupError('same_file', `${target} is the database itself; choose another file`);
    if (options.force !== true) throw new BackupError('exists', `${target} exists; pass --force to replace it`);
  }
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  // VACUUM INTO accepts an empty file: made here first, so that it is private from the start.
  fs.closeSync(fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  try {
    const db = new BetterSqlite3(source, { fileMustExist: true, timeout: 5000 });
    try {
      db.prepare('vacuum into ?').run(temporary);
    } finally {
      db.close();
    }
    const integrity = checkIntegrity(temporary);
    flush(temporary);
    if (options.force === true) {
      fs.renameSync(temporary, target);
    } else {
      // Fails if the file appeared meanwhile, rather than replacing it.
      try {
        fs.linkSync(temporary, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError('exists', `${target} exists; pass --force to replace it`, { cause: error });
        throw error;
      }
      fs.unlinkSync(temporary);
    }
    flush(path.dirname(target));
    return { source, file: target, bytes: fs.statSync(target).size, integrity };
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function checkIntegrity(file: string): string {
  // VACUUM INTO writes a rollback-journal database: read-only, opening it leaves no -wal or -shm file behind.
  const copy = new BetterSqlite3(file, { fileMustExist: true, readonly: true });
  try {
    const problems = copy.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>;
    const summary = problems.map((row) => row.integrity_check).join('; ');
    if (summary !== 'ok') throw new Error(`the copy failed PRAGMA integrity_check: ${summary}`);
    return summary;
  } finally {
    copy.close();
  }
}

function flush(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
