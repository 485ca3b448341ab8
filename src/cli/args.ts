import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const commonOptions = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** node:util parseArgs, strict, with its errors turned into UsageError (exit code 2). */
type ParseConfig<O extends Options> = { args: string[]; options: typeof commonOptions & O; allowPositionals: true; strict: true };

export function parse<O extends Options>(args: string[], options: O): ReturnType<typeof parseArgs<ParseConfig<O>>> {
  try {
    const config: ParseConfig<O> = { args, options: { ...commonOptions, ...options }, allowPositionals: true, strict: true };
    return parseArgs(config);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(e.message);
    throw err;
  }
}

export function expectPositionals(positionals: string[], names: string[], command: string): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`${command}: missing ${names.slice(positionals.length).map((n) => `<${n}>`).join(' ')}`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`${command}: unexpected argument "${positionals[names.length]}"`);
  }
  return positionals;
}
