import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openMigratedStore, openStore } from '../open.js';
import { storeContract } from './contract.js';
import { expectDeviceGrantBackfill } from './device-grant-backfill.js';
import { migrationProvider } from '../postgres/migration-provider.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';
const schema = `latch_test_${randomBytes(8).toString('hex')}`;

async function dropSchema(name: string): Promise<void> {
  const admin = await openStore({ dataDir: os.tmpdir(), databaseUrl });
  try {
    await sql.raw(`drop schema if exists "${name}" cascade`).execute(admin.kysely);
  } finally {
    await admin.close();
  }
}

storeContract('postgres', {
  open: () => openStore({ dataDir: os.tmpdir(), databaseUrl, schema }),
  destroy: () => dropSchema(schema),
});

describe('postgres specifics', () => {
  it('keeps its tables in the given schema and returns times as numbers', async () => {
    const own = `latch_test_${randomBytes(8).toString('hex')}`;
    const store = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema: own });
    try {
      expect(store.dialect).toBe('postgres');
      const tables = await store.kysely.introspection.getTables();
      expect(tables.filter((t) => t.name === 'tokens').map((t) => t.schema)).toContain(own);
      const hits = await store.rateLimits.hit('k', 60, 4_000_000_000);
      expect(hits).toBe(1);
      const row = await store.kysely.selectFrom('rate_limits').selectAll().executeTakeFirstOrThrow();
      expect(row.window_start).toBe(3_999_999_960);
      expect(typeof row.expires_at).toBe('number');
    } finally {
      await store.close();
      await dropSchema(own);
    }
  });

  it('migration 005 creates the grant of a device code approved before it', async () => {
    const own = `latch_test_${randomBytes(8).toString('hex')}`;
    const store = await openStore({ dataDir: os.tmpdir(), databaseUrl, schema: own });
    try {
      await expectDeviceGrantBackfill(store, migrationProvider, own);
    } finally {
      await store.close();
      await dropSchema(own);
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openStore({ dataDir: os.tmpdir(), databaseUrl, schema: 'x; drop table y' })).rejects.toThrow(/schema/);
  });
});
