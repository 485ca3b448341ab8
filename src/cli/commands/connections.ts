/**
 * `latch connections create|list|show|update|delete` (upstream providers people may sign in with) and
 * `latch users identities|unlink` (the upstream identities linked to a user). The client secret is read from stdin
 * (--client-secret-stdin) or a file (--client-secret-file), never from the command line.
 */
import { readFile } from 'node:fs/promises';
import {
  type ConnectionView,
  createConnection,
  type CreateConnectionInput,
  deleteConnection,
  getConnection,
  listConnections,
  listIdentities,
  unlinkIdentity,
  updateConnection,
  type UpdateConnectionInput,
} from '../../admin/connections.js';
import { findUser } from '../../admin/users.js';
import { AdminInputError, AdminNotFoundError } from '../../admin/errors.js';
import { resolveSecret } from '../../keys/secret.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { isoTime, readPasswordFromStdin, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';

export const connectionsUsage = `Usage: latch connections <command> [options]

  create --id ID --name N --client-id C [--issuer URL] [--client-secret-stdin | --client-secret-file F]
         [--type oidc|oauth2] [--authorization-endpoint URL --token-endpoint URL --userinfo-endpoint URL]
         [--scope S]... [--map CLAIM=PATH]... [--disabled]
                                 register an upstream provider; prints the callback URL to register there.
                                 oidc (default): the issuer's discovery document is read to check it.
                                 oauth2 (e.g. GitHub): its three endpoints and a claim mapping.
  list                           list connections
  show <id>                      show one connection (never its secret)
  update <id> [--name N] [--enable | --disable] [--scope S]... [--map CLAIM=PATH]...
         [--client-secret-stdin | --client-secret-file F]
  delete <id>                    delete a connection and every identity linked through it

Claims: sub, email, email_verified, name, given_name, family_name, picture (default: the claim of that name).
Options: --json, --help
Example: latch connections create --id github --name GitHub --type oauth2 --client-id Iv1.abc \\
           --authorization-endpoint https://github.com/login/oauth/authorize \\
           --token-endpoint https://github.com/login/oauth/access_token \\
           --userinfo-endpoint https://api.github.com/user --scope read:user --scope user:email \\
           --map sub=id --map name=name --client-secret-file github.secret
`;

export const connectionsCommand = commandGroup('connections', connectionsUsage, { create, list, show, update, delete: remove });

async function deps(ctx: CommandContext) {
  const config = ctx.config();
  const serverSecret = await resolveSecret(config, { sharedDatabase: config.databaseUrl !== undefined });
  return { serverSecret, allowPrivate: config.fetchAllowPrivate, issuer: config.issuer };
}

async function clientSecret(ctx: CommandContext, values: { 'client-secret-stdin'?: boolean; 'client-secret-file'?: string }): Promise<string | undefined> {
  if (values['client-secret-stdin'] && values['client-secret-file'] !== undefined) throw new UsageError('--client-secret-stdin and --client-secret-file: choose one');
  if (values['client-secret-stdin']) return readPasswordFromStdin(ctx.io);
  if (values['client-secret-file'] !== undefined) {
    try {
      return (await readFile(values['client-secret-file'], 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new AdminInputError('client_secret', `cannot read ${values['client-secret-file']} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return undefined;
}

function claimMapping(entries: string[] | undefined): Record<string, string> | undefined {
  if (!entries) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      if (at < 1) throw new UsageError(`--map: "${entry}" is not CLAIM=PATH (e.g. sub=id)`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

function describe(c: ConnectionView): string[] {
  const mapping = Object.entries(c.claim_mapping).map(([k, v]) => `${k}<-${v}`).join(' ');
  return [
    `id:            ${c.id}`,
    `type:          ${c.type}${c.issuer ? ` (issuer ${c.issuer})` : ''}`,
    ...(c.authorization_endpoint ? [`authorization: ${c.authorization_endpoint}`] : []),
    ...(c.token_endpoint ? [`token:         ${c.token_endpoint}`] : []),
    ...(c.userinfo_endpoint ? [`userinfo:      ${c.userinfo_endpoint}`] : []),
    `client id:     ${c.client_id}${c.has_client_secret ? ' (with a client secret, sealed)' : ' (public client)'}`,
    `scopes:        ${c.scopes.join(' ') || '(none)'}`,
    `claim mapping: ${mapping || '(defaults)'}`,
    `enabled:       ${c.enabled ? 'yes' : 'no'}`,
    `callback URL:  ${c.callback_url}`,
  ];
}

const secretOptions = { 'client-secret-stdin': { type: 'boolean' }, 'client-secret-file': { type: 'string' } } as const;

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    issuer: { type: 'string' },
    'authorization-endpoint': { type: 'string' },
    'token-endpoint': { type: 'string' },
    'userinfo-endpoint': { type: 'string' },
    'client-id': { type: 'string' },
    scope: { type: 'string', multiple: true },
    map: { type: 'string', multiple: true },
    disabled: { type: 'boolean' },
    ...secretOptions,
  });
  if (values.help) {
    ctx.io.stdout.write(connectionsUsage);
    return 0;
  }
  expectPositionals(positionals, [], 'connections create');
  for (const flag of ['id', 'name', 'client-id'] as const) if (values[flag] === undefined) throw new UsageError(`--${flag} is required`);
  const input: CreateConnectionInput = { id: values.id!, name: values.name!, client_id: values['client-id']! };
  if (values.type !== undefined) input.type = values.type as 'oidc' | 'oauth2';
  if (values.issuer !== undefined) input.issuer = values.issuer;
  if (values['authorization-endpoint'] !== undefined) input.authorization_endpoint = values['authorization-endpoint'];
  if (values['token-endpoint'] !== undefined) input.token_endpoint = values['token-endpoint'];
  if (values['userinfo-endpoint'] !== undefined) input.userinfo_endpoint = values['userinfo-endpoint'];
  if (values.scope) input.scopes = values.scope.flatMap((s) => s.split(' ').filter(Boolean));
  const mapping = claimMapping(values.map);
  if (mapping) input.claim_mapping = mapping;
  if (values.disabled) input.enabled = false;
  const secret = await clientSecret(ctx, values);
  if (secret !== undefined) input.client_secret = secret;
  const d = await deps(ctx);
  const created = await ctx.withStore((store) => createConnection({ ...d, store }, input));
  const lines = [`Created connection "${created.name}"`, '', ...describe(created).map((l) => `  ${l}`), '', `Register this callback (redirect) URL at the provider: ${created.callback_url}`];
  ctx.print(values.json, created, lines.join('\n'));
  return 0;
}

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(connectionsUsage);
    return 0;
  }
  expectPositionals(positionals, [], 'connections list');
  const issuer = ctx.config().issuer;
  const connections = await ctx.withStore((store) => listConnections({ store, issuer }));
  const text =
    connections.length === 0
      ? 'No connections yet. Add one with: latch connections create --id google --name Google --issuer https://accounts.google.com --client-id ... --client-secret-stdin'
      : table(
          ['ID', 'NAME', 'TYPE', 'ENABLED', 'ISSUER/AUTHORIZATION', 'CREATED'],
          connections.map((c) => [c.id, c.name, c.type, c.enabled ? 'yes' : 'no', c.issuer ?? c.authorization_endpoint ?? '-', isoTime(c.created_at)]),
        );
  ctx.print(values.json, { connections }, text);
  return 0;
}

async function show(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(connectionsUsage);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['id'], 'connections show');
  const issuer = ctx.config().issuer;
  const c = await ctx.withStore((store) => getConnection({ store, issuer }, id!));
  ctx.print(values.json, c, [c.name, ...describe(c).map((l) => `  ${l}`), `  created:       ${isoTime(c.created_at)}`].join('\n'));
  return 0;
}

async function update(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, enable: { type: 'boolean' }, disable: { type: 'boolean' }, scope: { type: 'string', multiple: true }, map: { type: 'string', multiple: true }, ...secretOptions });
  if (values.help) {
    ctx.io.stdout.write(connectionsUsage);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['id'], 'connections update');
  if (values.enable && values.disable) throw new UsageError('--enable and --disable: choose one');
  const patch: UpdateConnectionInput = {};
  if (values.name !== undefined) patch.name = values.name;
  if (values.enable) patch.enabled = true;
  if (values.disable) patch.enabled = false;
  if (values.scope) patch.scopes = values.scope.flatMap((s) => s.split(' ').filter(Boolean));
  const mapping = claimMapping(values.map);
  if (mapping) patch.claim_mapping = mapping;
  const secret = await clientSecret(ctx, values);
  if (secret !== undefined) patch.client_secret = secret;
  const d = await deps(ctx);
  const c = await ctx.withStore((store) => updateConnection({ ...d, store }, id!, patch));
  ctx.print(values.json, c, [`Updated connection "${c.name}"`, ...describe(c).map((l) => `  ${l}`)].join('\n'));
  return 0;
}

async function remove(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(connectionsUsage);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['id'], 'connections delete');
  await ctx.withStore((store) => deleteConnection({ store }, id!));
  ctx.print(values.json, { deleted: true, id }, `Deleted connection ${id} and the identities linked through it.`);
  return 0;
}

async function userSub(store: Parameters<typeof findUser>[0], subOrEmail: string): Promise<string> {
  const user = await findUser(store, subOrEmail);
  if (!user) throw new AdminNotFoundError('user', subOrEmail);
  return user.sub;
}

/** `latch users identities <sub|email>` */
export async function userIdentities(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  const [who] = expectPositionals(positionals, ['sub|email'], 'users identities');
  const identities = await ctx.withStore(async (store) => listIdentities({ store }, await userSub(store, who!)));
  const text =
    identities.length === 0
      ? 'No linked identities.'
      : table(['CONNECTION', 'UPSTREAM SUB', 'EMAIL', 'LINKED', 'LAST USED'], identities.map((i) => [i.connection, i.upstream_sub, i.email ?? '-', isoTime(i.created_at), i.last_used_at === null ? '-' : isoTime(i.last_used_at)]));
  ctx.print(values.json, { identities }, text);
  return 0;
}

/** `latch users unlink <sub|email> <connection> <upstream-sub>` */
export async function userUnlink(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  const [who, connection, upstreamSub] = expectPositionals(positionals, ['sub|email', 'connection', 'upstream-sub'], 'users unlink');
  await ctx.withStore(async (store) => unlinkIdentity({ store }, await userSub(store, who!), connection!, upstreamSub!));
  ctx.print(values.json, { unlinked: true, connection, upstream_sub: upstreamSub }, `Unlinked ${connection}/${upstreamSub}.`);
  return 0;
}
