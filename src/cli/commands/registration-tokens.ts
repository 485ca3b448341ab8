import {
  createRegistrationToken,
  listRegistrationTokens,
  registrationTokenToJson,
  revokeRegistrationToken,
} from '../../admin/registration-tokens.js';
import { AdminInputError } from '../../admin/errors.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { isoTime, table } from '../io.js';
import { commandGroup } from '../subcommands.js';

export const registrationTokensUsage = `Usage: latch registration-tokens <command> [options]

Initial access tokens (RFC 7591 §3): while LATCH_REGISTRATION is token (the default), an app registers itself at
POST /register only with one of these, sent as Authorization: Bearer <token>.

  create [--uses N] [--ttl S]    a new token, printed once (Latch keeps only its digest): good for N
                                 registrations (default: any number) during S seconds (default: until revoked)
  list                           every token: id, uses left, expiry (never the token itself)
  revoke <id>                    the token stops working at once

Options: --json, --help
`;

export const registrationTokensCommand = commandGroup('registration-tokens', registrationTokensUsage, { create, list, revoke });

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new AdminInputError(flag, `"${value}" is not a whole number`);
  return Number(value);
}

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { uses: { type: 'string' }, ttl: { type: 'string' } });
  if (values.help) {
    ctx.io.stdout.write(registrationTokensUsage);
    return 0;
  }
  expectPositionals(positionals, [], 'registration-tokens create');
  const options = { uses: wholeNumber('uses', values.uses), ttl: wholeNumber('ttl', values.ttl) };
  const { token, record } = await ctx.withStore((store) => createRegistrationToken(store, options));
  const lines = [
    `Created registration token ${record.id}`,
    '',
    `  token:      ${token}`,
    `  uses:       ${record.usesLeft ?? 'any number'}`,
    `  expires:    ${record.expiresAt === null ? 'never (revoke it with latch registration-tokens revoke)' : isoTime(record.expiresAt)}`,
    '',
    'The token is shown only this once: give it to the app developer now. Latch keeps only its hash.',
  ];
  ctx.print(values.json, { ...registrationTokenToJson(record), token }, lines.join('\n'));
  return 0;
}

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(registrationTokensUsage);
    return 0;
  }
  expectPositionals(positionals, [], 'registration-tokens list');
  const tokens = await ctx.withStore((store) => listRegistrationTokens(store));
  const now = Math.floor(Date.now() / 1000);
  const text =
    tokens.length === 0
      ? 'No registration tokens. Create one with: latch registration-tokens create --uses 1 --ttl 86400'
      : table(
          ['ID', 'USES_LEFT', 'EXPIRES', 'CREATED', 'USABLE'],
          tokens.map((t) => [t.id, t.usesLeft === null ? 'any' : String(t.usesLeft), t.expiresAt === null ? 'never' : isoTime(t.expiresAt), isoTime(t.createdAt), registrationTokenToJson(t, now).usable ? 'yes' : 'no']),
        );
  ctx.print(values.json, { registration_tokens: tokens.map((t) => registrationTokenToJson(t, now)) }, text);
  return 0;
}

async function revoke(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(registrationTokensUsage);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['id'], 'registration-tokens revoke');
  await ctx.withStore((store) => revokeRegistrationToken(store, id!));
  ctx.print(values.json, { revoked: true, id }, `Revoked registration token ${id}`);
  return 0;
}
