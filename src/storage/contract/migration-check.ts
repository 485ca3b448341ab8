/**
 * A migration test on both dialects: `check` gets a fresh, unmigrated store and a Migrator of its dialect, and moves
 * it to the migration before the one under test, writes old rows, then migrates on and looks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { it } from 'vitest';
import { openStore, type OpenedStore } from '../open.js';
import { migrationProvider as postgresMigrations } from '../postgres/migration-provider.js';
import { migrationProvider as sqliteMigrations } from '../sqlite/migration-provider.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

export type MigrationCheck = (store: OpenedStore, migrator: Migrator) => Promise<void>;

export function itMigratesOnBothDialects(title: string, check: MigrationCheck): void {
  it(`sqlite: ${title}`, async () => {
    const dataDir = await mkdtemp(join(os.tmpdir(), 'latch-migration-'));
    const store = await openStore({ dataDir });
    try {
      await check(store, new Migrator({ db: store.kysely, provider: sqliteMigrations }));
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it(`postgres: ${title}`, async () => {
    const schema = `latch_test_${randomBytes(8).toString('hex')}`;
    const store = await openStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    try {
      await check(store, new Migrator({ db: store.kysely, provider: postgresMigrations, migrationTableSchema: schema }));
    } finally {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
      await store.close();
    }
  });
}
