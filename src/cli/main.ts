import { AdminInputError, AdminNotFoundError } from '../admin/errors.js';
import { ConfigError } from '../config/load.js';
import { apisCommand } from './commands/apis.js';
import { clientsCommand } from './commands/clients.js';
import { grantsCommand } from './commands/grants.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand, startCommand } from './commands/server.js';
import { usersCommand } from './commands/users.js';
import { createContext, type CommandContext } from './context.js';
import { CliError, defaultIO, UsageError, type CliIO } from './io.js';
import { usage } from './usage.js';

export type { CliIO } from './io.js';

type Command = (ctx: CommandContext, args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  start: startCommand,
  migrate: migrateCommand,
  users: usersCommand,
  clients: clientsCommand,
  keys: keysCommand,
  apis: apisCommand,
  grants: grantsCommand,
};

const helpTopics: Record<string, string> = {
  start: usage.start,
  migrate: usage.migrate,
  users: usage.users,
  clients: usage.clients,
  keys: usage.keys,
  apis: usage.apis,
  grants: usage.grants,
};

/** CLI flags for the fields AdminInputError names. */
const flagForField: Record<string, string> = {
  client_name: '--name',
  latch_client_kind: '--type',
  redirect_uris: '--redirect-uri',
  post_logout_redirect_uris: '--post-logout-redirect-uri',
  grant_types: '--grant-type',
  response_types: '--response-type',
  scope: '--scope',
  token_endpoint_auth_method: '--auth-method',
  jwks: '--jwks-file',
  id_token_signed_response_alg: '--id-token-alg',
  client_id: '--client-id',
  latch_default_resource: '--default-resource',
  identifier: '--identifier',
  scopes: '--scope',
  token_format: '--token-format',
  access_token_ttl: '--ttl',
  signing_alg: '--alg',
  introspection_clients: '--introspect-client',
  allowed_cors_origins: '--allowed-origin',
  email: '--email',
  name: '--name',
};

/**
 * The `latch` command. Returns the exit code: 0 on success, 1 on an error, 2 on a usage error.
 * Output goes to `io.stdout` (with --json: exactly one JSON object, on success only); errors to `io.stderr`.
 */
export async function main(argv: string[], io: Partial<CliIO> = {}): Promise<number> {
  const fullIO: CliIO = { ...defaultIO(), ...io };
  const [name, ...args] = argv;
  try {
    if (name === undefined) {
      fullIO.stderr.write(usage.main);
      return 2;
    }
    if (name === 'help' || name === '--help' || name === '-h') {
      const topic = args[0];
      fullIO.stdout.write((topic !== undefined && helpTopics[topic]) || usage.main);
      return 0;
    }
    if (name === '--version' || name === 'version') {
      fullIO.stdout.write('latch 0.1.0\n');
      return 0;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`unknown command "${name}" (start, migrate, users, clients, keys, apis, grants, help)`);
    return await command(createContext(fullIO), args);
  } catch (err) {
    return report(fullIO, err);
  }
}

function report(io: CliIO, err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr.write(`latch: ${err.message}\nRun "latch help" for usage.\n`);
    return 2;
  }
  if (err instanceof AdminInputError) {
    io.stderr.write(`latch: ${flagForField[err.field] ?? err.field}: ${err.reason}\n`);
    return 1;
  }
  if (err instanceof AdminNotFoundError || err instanceof CliError || err instanceof ConfigError) {
    io.stderr.write(`latch: ${err.message}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`latch: ${message}\n`);
  return 1;
}
