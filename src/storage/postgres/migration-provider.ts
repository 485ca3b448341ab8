import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './migrations/001-initial.js';

/** Every migration, by name; listed here rather than read from disk, since they are compiled to dist/. */
export const migrations: Record<string, Migration> = {
  '001-initial': m001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
