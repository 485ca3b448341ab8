import { deletedOnly, purgeNow } from '../../storage/purge-schedule.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { table, UsageError } from '../io.js';
import { usage } from '../usage.js';

/** `latch purge`: the servers' periodic purge, run now (safe while they run: small batches, one at a time on PostgreSQL). */
export async function purgeCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'batch-size': { type: 'string' } });
  if (values.help) {
    ctx.io.stdout.write(usage.purge);
    return 0;
  }
  expectPositionals(positionals, [], 'purge');
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) {
    throw new UsageError(`--batch-size: "${values['batch-size']}" is not a whole number from 1 to 100000`);
  }
  const config = ctx.config();
  const outcome = await ctx.withStore((store) =>
    purgeNow(store, { eventRetentionDays: config.eventRetentionDays, now: () => Math.floor(Date.now() / 1000) }, batchSize === undefined ? {} : { batchSize }),
  );
  const total = Object.values(outcome.deleted).reduce((sum, n) => sum + n, 0);
  const deleted = Object.entries(deletedOnly(outcome.deleted));
  const text = !outcome.ran
    ? 'Another instance is purging right now (it holds the purge lock); nothing was done here.'
    : total === 0
      ? 'Nothing to purge: no expired rows, and no events older than LATCH_EVENT_RETENTION_DAYS.'
      : [
          `Purged ${total} row(s) in ${(outcome.ms / 1000).toFixed(1)} s (expired, and events older than ${config.eventRetentionDays} days):`,
          table(
            ['TABLE', 'DELETED'],
            deleted.map(([name, n]) => [name, String(n)]),
          ).trimEnd(),
        ].join('\n');
  ctx.print(values.json, { ran: outcome.ran, deleted: outcome.deleted, total, ms: outcome.ms }, text);
  return 0;
}
