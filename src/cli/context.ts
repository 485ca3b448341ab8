import { loadPasswordPolicy, type PasswordPolicy } from '../core/accounts/password-policy.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import type { CliIO } from './io.js';

export interface CommandContext {
  io: CliIO;
  /** The configuration (file + environment), loaded on first use. */
  config(): Config;
  /** Opens (and migrates) the same store as the server, runs `fn`, closes the store. */
  withStore<T>(fn: (store: OpenedStore) => Promise<T>): Promise<T>;
  /** What a new password must be, with the common-password list, read on first use. */
  passwords(): PasswordPolicy;
  /** Prints `json` as one JSON object with --json, else `text`. */
  print(asJson: boolean | undefined, json: unknown, text: string): void;
}

export function createContext(io: CliIO): CommandContext {
  let config: Config | undefined;
  let passwords: PasswordPolicy | undefined;
  const context: CommandContext = {
    io,
    config: () => (config ??= loadConfig(io.env)),
    passwords: () => (passwords ??= loadPasswordPolicy()),
    async withStore(fn) {
      const { dataDir, databaseUrl, redisUrl } = context.config();
      // With Redis, deleting a client or a person also ends their interactions there, and purge sweeps it too.
      const store = await openMigratedStore({ dataDir, ...(databaseUrl !== undefined && { databaseUrl }), ...(redisUrl !== undefined && { redisUrl }) });
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
    print(asJson, json, text) {
      io.stdout.write(asJson ? `${JSON.stringify(json, null, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`);
    },
  };
  return context;
}
