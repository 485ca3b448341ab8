export * from './types.js';
export { openStore, openMigratedStore, type StoreOptions, type OpenedStore } from './open.js';
export type { Database, Dialect } from './database.js';
export { StoreOpenError } from './open-error.js';
