import { createUser, deleteUser, findUser, normalizeEmail, setPassword, userToJson } from '../../admin/users.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { CliError, isoTime, readNewPassword, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

export const usersCommand = commandGroup('users', usage.users, { create, list, show, delete: remove, 'set-password': changePassword });

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'email-verified': { type: 'boolean' },
  });
  if (values.help) return help(ctx, 'usersCreate');
  expectPositionals(positionals, [], 'users create');
  if (values.email === undefined) throw new UsageError('--email is required');
  normalizeEmail(values.email);
  const password = await readNewPassword(ctx.io, values['password-stdin'] === true);
  const user = await ctx.withStore((store) =>
    createUser(store, {
      email: values.email!,
      password,
      ...(values.name !== undefined && { name: values.name }),
      ...(values['email-verified'] && { emailVerified: true }),
    }),
  );
  ctx.print(values.json, userToJson(user), `Created user ${user.email}\n  sub: ${user.sub}`);
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
          ['SUB', 'EMAIL', 'VERIFIED', 'NAME', 'CREATED'],
          users.map((u) => [u.sub, u.email, u.emailVerified ? 'yes' : 'no', u.profile.name ?? '', isoTime(u.createdAt)]),
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
  const user = await ctx.withStore((store) => deleteUser(store, id!));
  ctx.print(values.json, { deleted: true, sub: user.sub, email: user.email }, `Deleted user ${user.email} (${user.sub}) and everything issued to them`);
  return 0;
}

async function changePassword(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'password-stdin': { type: 'boolean' } });
  if (values.help) return help(ctx, 'users');
  const [id] = expectPositionals(positionals, ['sub|email'], 'users set-password');
  const password = await readNewPassword(ctx.io, values['password-stdin'] === true);
  const user = await ctx.withStore((store) => setPassword(store, id!, password));
  ctx.print(values.json, userToJson(user), `Password set for ${user.email}`);
  return 0;
}

function help(ctx: CommandContext, topic: keyof typeof usage): number {
  ctx.io.stdout.write(usage[topic]);
  return 0;
}
