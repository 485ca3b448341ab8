import {
  checkRole,
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  findUser,
  grantRole,
  normalizeEmail,
  revokeRole,
  setPassword,
  userToJson,
} from '../../admin/users.js';
import { CLI_ACTOR } from '../../observability/events.js';
import type { Store, UserRecord } from '../../storage/types.js';
import { expectPositionals, parse } from '../args.js';
import { withBackchannelLogout } from '../backchannel.js';
import type { CommandContext } from '../context.js';
import { CliError, isoTime, readNewPassword, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { userIdentities, userUnlink } from './connections.js';
import { usage } from '../usage.js';
import { resetFactors } from '../../admin/factors.js';

export const usersCommand = commandGroup('users', usage.users, {
  create,
  list,
  show,
  delete: remove,
  'set-password': changePassword,
  'grant-role': (ctx, args) => changeRole(ctx, args, 'grant-role'),
  'revoke-role': (ctx, args) => changeRole(ctx, args, 'revoke-role'),
  disable: (ctx, args) => changeState(ctx, args, 'disable'),
  enable: (ctx, args) => changeState(ctx, args, 'enable'),
  identities: userIdentities,
  unlink: userUnlink,
  'reset-factors': resetFactorsCommand,
});

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'email-verified': { type: 'boolean' },
    role: { type: 'string', multiple: true },
  });
  if (values.help) return help(ctx, 'usersCreate');
  expectPositionals(positionals, [], 'users create');
  if (values.email === undefined) throw new UsageError('--email is required');
  normalizeEmail(values.email);
  const roles = values.role ?? [];
  for (const role of roles) checkRole(role, 'roles');
  const password = await readNewPassword(ctx.io, values['password-stdin'] === true);
  const input = {
    email: values.email,
    password,
    ...(values.name !== undefined && { name: values.name }),
    ...(values['email-verified'] && { emailVerified: true }),
    roles,
  };
  const user = await ctx.withStore((store) => createUser(store, ctx.passwords(), input, undefined, CLI_ACTOR));
  const rolesLine = user.roles.length > 0 ? `\n  roles: ${user.roles.join(', ')}` : '';
  ctx.print(values.json, userToJson(user), `Created user ${user.email}\n  sub: ${user.sub}${rolesLine}`);
  return 0;
}

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  expectPositionals(positionals, [], 'users list');
  const users = await ctx.withStore((store) => store.users.list());
  const text =
    users.length === 0
      ? 'No users yet. Create one with: latch users create --email you@example.com'
      : table(
          ['SUB', 'EMAIL', 'VERIFIED', 'NAME', 'ROLES', 'DISABLED', 'CREATED'],
          users.map((u) => [
            u.sub,
            u.email,
            u.emailVerified ? 'yes' : 'no',
            u.profile.name ?? '',
            (u.roles ?? []).join(',') || '-',
            u.disabledAt ? isoTime(u.disabledAt) : 'no',
            isoTime(u.createdAt),
          ]),
        );
  ctx.print(values.json, { users: users.map(userToJson) }, text);
  return 0;
}

async function show(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], 'users show');
  const user = await ctx.withStore((store) => findUser(store, id!));
  if (!user) throw new CliError(`user not found: ${id}`);
  const json = userToJson(user);
  ctx.print(values.json, json, Object.entries(json).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'));
  return 0;
}

async function remove(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], 'users delete');
  const user = await ctx.withStore((store) => withBackchannelLogout(ctx, store, (logout) => deleteUser(store, id!, CLI_ACTOR, undefined, logout)));
  ctx.print(values.json, { deleted: true, sub: user.sub, email: user.email }, `Deleted user ${user.email} (${user.sub}) and everything issued to them`);
  return 0;
}

async function changePassword(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'password-stdin': { type: 'boolean' } });
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], 'users set-password');
  const password = await readNewPassword(ctx.io, values['password-stdin'] === true);
  const user = await ctx.withStore((store) => setPassword(store, ctx.passwords(), id!, password, undefined, CLI_ACTOR));
  ctx.print(values.json, userToJson(user), `Password set for ${user.email}`);
  return 0;
}

async function existing(store: Store, id: string): Promise<UserRecord> {
  const user = await findUser(store, id);
  if (!user) throw new CliError(`user not found: ${id}`);
  return user;
}

/** users grant-role|revoke-role <sub|email> <role>: the same services as the admin API. */
async function changeRole(ctx: CommandContext, args: string[], command: 'grant-role' | 'revoke-role'): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  const [id, role] = expectPositionals(positionals, ['sub|email', 'role'], `users ${command}`);
  checkRole(role!);
  const { before, user } = await ctx.withStore(async (store) => {
    const found = await existing(store, id!);
    const change = command === 'grant-role' ? grantRole : revokeRole;
    return { before: found, user: await change(store, found.sub, role!, CLI_ACTOR) };
  });
  const changed = before.roles.includes(role!) !== user.roles.includes(role!);
  const text = changed
    ? command === 'grant-role'
      ? `Granted role ${role} to ${user.email}`
      : `Revoked role ${role} from ${user.email}${role === 'admin' ? ' (and their admin tokens)' : ''}`
    : `${user.email} ${command === 'grant-role' ? 'already has' : 'does not have'} role ${role}`;
  ctx.print(values.json, userToJson(user), text);
  return 0;
}

/** users disable|enable <sub|email>. */
async function changeState(ctx: CommandContext, args: string[], command: 'disable' | 'enable'): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], `users ${command}`);
  const user = await ctx.withStore(async (store) => {
    const { sub } = await existing(store, id!);
    return command === 'disable'
      ? withBackchannelLogout(ctx, store, (logout) => disableUser(store, sub, CLI_ACTOR, undefined, logout))
      : enableUser(store, sub, CLI_ACTOR);
  });
  const text =
    command === 'disable'
      ? `Disabled ${user.email}: they cannot sign in; their grants, tokens and sessions have ended`
      : `Enabled ${user.email}: they can sign in again`;
  ctx.print(values.json, userToJson(user), text);
  return 0;
}

/** users reset-factors <sub|email>: a lost device (issue 13). */
async function resetFactorsCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], 'users reset-factors');
  const { user, reset } = await ctx.withStore(async (store) => {
    const found = await existing(store, id!);
    return { user: found, reset: await resetFactors(store, found.sub, CLI_ACTOR) };
  });
  const json = { sub: user.sub, totp: reset.totp, recovery_codes: reset.recoveryCodes, passkeys: reset.passkeys };
  const text = `Reset the second factors of ${user.email}: ${reset.totp ? 'authenticator app' : 'no authenticator app'}, ${reset.recoveryCodes} recovery codes, ${reset.passkeys} passkeys removed; they enrol again at their next sign-in that needs one`;
  ctx.print(values.json, json, text);
  return 0;
}

function help(ctx: CommandContext, topic: keyof typeof usage): number {
  ctx.io.stdout.write(usage[topic]);
  return 0;
}
