import { listKeys, keyToJson, rotateSigningKeys } from '../../admin/keys.js';
import { resolveSecret } from '../../keys/secret.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { isoTime, table } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

/** The JWKS answer's Cache-Control max-age (http/routes/discovery.ts). */
const JWKS_MAX_AGE = 300;

export const keysCommand = commandGroup('keys', usage.keys, { list, rotate });

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.keys);
    return 0;
  }
  expectPositionals(positionals, [], 'keys list');
  const keys = await ctx.withStore((store) => listKeys(store));
  const text =
    keys.length === 0
      ? 'No signing keys yet: `latch start` (or `latch keys rotate`) creates them.'
      : table(
          ['KID', 'ALG', 'STATE', 'CREATED'],
          keys.map((k) => [k.kid, k.alg, k.state, isoTime(k.createdAt)]),
        );
  ctx.print(values.json, { keys: keys.map(keyToJson) }, text);
  return 0;
}

async function rotate(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.keys);
    return 0;
  }
  expectPositionals(positionals, [], 'keys rotate');
  const config = ctx.config();
  const secret = await resolveSecret(config, { sharedDatabase: config.databaseUrl !== undefined });
  const { result, before } = await ctx.withStore(async (store) => {
    const before = await store.keys.list();
    return { result: await rotateSigningKeys(store, { secret, algorithms: config.keyAlgorithms }), before };
  });
  // Relying parties may cache the JWKS (Cache-Control max-age): a key published more recently may be unknown to some.
  const now = Math.floor(Date.now() / 1000);
  const warnings = before
    .filter((k) => result.activated.includes(k.kid) && now - k.createdAt < JWKS_MAX_AGE)
    .map(
      (k) =>
        `${k.kid} (${k.alg}) was published as next only ${now - k.createdAt} s ago; relying parties that cache ` +
        `the JWKS (up to ${JWKS_MAX_AGE} s) may not verify its tokens until they fetch it again`,
    );
  if (!values.json) for (const warning of warnings) ctx.io.stderr.write(`latch: warning: ${warning}\n`);
  const text = [
    'Rotated signing keys (next -> active -> retired).',
    `  activated: ${result.activated.join(', ') || '-'}`,
    `  retired:   ${result.retired.join(', ') || '-'}`,
    `  new next:  ${result.created.join(', ') || '-'}`,
    ...(result.pruned.length > 0 ? [`  deleted:   ${result.pruned.join(', ')}`] : []),
    '',
    'Only a key already published as next becomes active; retired keys stay published for 30 days,',
    'so tokens they signed keep verifying. Running servers publish the change within a second or two.',
  ].join('\n');
  ctx.print(values.json, warnings.length > 0 ? { ...result, warnings } : result, text);
  return 0;
}
