import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TurnEnd } from '../../runtime/turn-end.js';
import { migrateSqlite, openSqlite, SQLITE_FILE_NAME } from './connection.js';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('SQLite file modes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and latch.db, -wal and -shm 0600', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-modes-'));
    dirs.push(root);
    const dataDir = path.join(root, 'data');
    const db = openSqlite(dataDir, new TurnEnd());
    try {
      await migrateSqlite(db);
      const file = path.join(dataDir, SQLITE_FILE_NAME);
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      expect(fs.existsSync(`${file}-shm`)).toBe(true);
      expect({
        dir: mode(dataDir),
        db: mode(file),
        wal: mode(`${file}-wal`),
        shm: mode(`${file}-shm`),
      }).toEqual({ dir: 0o700, db: 0o600, wal: 0o600, shm: 0o600 });
    } finally {
      await db.destroy();
    }
  });
});
