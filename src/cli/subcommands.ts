import type { CommandContext } from './context.js';
import { UsageError } from './io.js';

export type Subcommand = (ctx: CommandContext, args: string[]) => Promise<number>;

/**
 * A command group (`latch users ...`): runs the named subcommand, prints the group's help for
 * `help`/`--help` (exit 0) or no subcommand (exit 2), and names the valid subcommands otherwise.
 */
export function commandGroup(group: string, help: string, subcommands: Record<string, Subcommand>): Subcommand {
  return async (ctx, args) => {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      ctx.io.stdout.write(help);
      return sub === undefined ? 2 : 0;
    }
    const run = Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
    if (!run) throw new UsageError(`${group}: unknown command "${sub}" (${Object.keys(subcommands).join(', ')})`);
    return run(ctx, rest);
  };
}
