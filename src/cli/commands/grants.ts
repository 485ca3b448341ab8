import { grantToJson, listGrants, revokeGrant } from '../../admin/grants.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { isoTime, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

export const grantsCommand = commandGroup('grants', usage.grants, { list, revoke });

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { user: { type: 'string' } });
  if (values.help) {
    ctx.io.stdout.write(usage.grants);
    return 0;
  }
  expectPositionals(positionals, [], 'grants list');
  if (values.user === undefined) throw new UsageError('--user is required (a sub or an email address)');
  const views = await ctx.withStore((store) => listGrants(store, values.user!));
  const text =
    views.length === 0
      ? `${values.user} has not authorized any application.`
      : table(
          ['GRANT_ID', 'CLIENT', 'SCOPE', 'CREATED', 'REVOKED'],
          views.map(({ grant, client }) => [
            grant.grantId,
            client ? `${client.metadata.client_name} (${grant.clientId})` : grant.clientId,
            grant.scope,
            isoTime(grant.createdAt),
            isoTime(grant.revokedAt),
          ]),
        );
  ctx.print(values.json, { grants: views.map(grantToJson) }, text);
  return 0;
}

async function revoke(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.grants);
    return 0;
  }
  const [grantId] = expectPositionals(positionals, ['grant_id'], 'grants revoke');
  const grant = await ctx.withStore((store) => revokeGrant(store, grantId!));
  ctx.print(
    values.json,
    grantToJson({ grant }),
    `Revoked grant ${grant.grantId}: every token issued from it (access and refresh) is revoked`,
  );
  return 0;
}
