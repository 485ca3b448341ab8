import { AdminInputError, AdminNotFoundError } from '../admin/errors.js';
import { ConfigError } from '../config/load.js';
import { SecretError } from '../keys/secret.js';
import { StoreOpenError } from '../storage/open-error.js';
import { apisCommand } from './commands/apis.js';
import { backupCommand } from './commands/backup.js';
import { connectionsCommand, connectionsUsage } from './commands/connections.js';
import { clientsCommand } from './commands/clients.js';
import { grantsCommand } from './commands/grants.js';
import { keysCommand } from './commands/keys.js';
import { purgeCommand } from './commands/purge.js';
import { registrationTokensCommand, registrationTokensUsage } from './commands/registration-tokens.js';
import { migrateCommand, startCommand } from './commands/server.js';
import { usersCommand } from './commands/users.js';
import { createContext, type CommandContext } from './context.js';
import { CliError, defaultIO, UsageError, type CliIO } from './io.js';
import { storeOpenFailure } from './start-errors.js';
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
  connections: connectionsCommand,
  purge: purgeCommand,
  backup: backupCommand,
  'registration-tokens': registrationTokensCommand,
};

const helpTopics: Record<string, string> = {
  start: usage.start,
  migrate: usage.migrate,
  users: usage.users,
  clients: usage.clients,
  keys: usage.keys,
  apis: usage.apis,
  grants: usage.grants,
  connections: connectionsUsage,
  purge: usage.purge,
  backup: usage.backup,
  'registration-tokens': registrationTokensUsage,
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
  roles: '--role',
  token_format: '--token-format',
  access_token_ttl: '--ttl',
  signing_alg: '--alg',
  introspection_clients: '--introspect-client',
  allowed_cors_origins: '--allowed-origin',
  default_acr_values: '--default-acr',
  logo_uri: '--logo-uri',
  client_uri: '--client-uri',
  policy_uri: '--policy-uri',
  tos_uri: '--tos-uri',
  latch_profile: '--profile',
  grace_seconds: '--grace',
  email: '--email',
  name: '--name',
  client_secret: '--client-secret-file',
  authorization_endpoint: '--authorization-endpoint',
  token_endpoint: '--token-endpoint',
  userinfo_endpoint: '--userinfo-endpoint',
};

/**
 * The `latch` command. Returns the exit code: 0 on success, 1 on an error, 2 on a usage error.
 * Output goes to `io.stdout` (with --json: exactly one JSON object, on success only); errors to `io.stderr`
 * (with --json: one JSON object, `{"error", "message", "field"}`, see `failureJson`).
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
    if (!command) throw new UsageError(`unknown command "${name}" (start, migrate, users, clients, keys, apis, grants, connections, purge, backup, help)`);
    return await command(createContext(fullIO), args);
  } catch (err) {
    const failure = describeFailure(err);
    fullIO.stderr.write(wantsJson(argv) ? `${JSON.stringify(failureJson(failure))}\n` : failure.text);
    return failure.exitCode;
  }
}

/** --json anywhere before a `--` (flags after it are values). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

interface Failure {
  exitCode: number;
  /** What kind of failure: usage, invalid_input, not_found, invalid_config, failed, internal_error. */
  error: string;
  message: string;
  /** The flag or setting at fault, when there is one (e.g. --redirect-uri, PORT). */
  field?: string | undefined;
  text: string;
}

function describeFailure(err: unknown): Failure {
  if (err instanceof UsageError) {
    return { exitCode: 2, error: 'usage', message: err.message, text: `latch: ${err.message}\nRun "latch help" for usage.\n` };
  }
  if (err instanceof AdminInputError) {
    const field = flagForField[err.field] ?? err.field;
    return { exitCode: 1, error: err.code, message: `${field}: ${err.reason}`, field, text: `latch: ${field}: ${err.reason}\n` };
  }
  if (err instanceof AdminNotFoundError) return failed(err.code, err.message);
  if (err instanceof ConfigError) return failed('invalid_config', err.message, err.settings[0]);
  if (err instanceof SecretError) return failed('invalid_config', err.message, err.message.startsWith('LATCH_SECRET') ? 'LATCH_SECRET' : undefined);
  if (err instanceof StoreOpenError) return describeFailure(storeOpenFailure(err));
  if (err instanceof CliError) return failed('failed', err.message, err.field);
  return failed('internal_error', err instanceof Error ? err.message : String(err));
}

function failed(error: string, message: string, field?: string): Failure {
  return { exitCode: 1, error, message, field, text: `latch: ${message}\n` };
}

function failureJson(failure: Failure): Record<string, string> {
  return { error: failure.error, message: failure.message, ...(failure.field !== undefined && { field: failure.field }) };
}
