import { ensureSetupLink, setupLinkText } from '../../admin/setup.js';
import { resolveSecret } from '../../keys/secret.js';
import { openStore } from '../../storage/open.js';
import { MetricsListenError } from '../../observability/metrics-listener.js';
import { listenFailure } from '../start-errors.js';
import { CliError } from '../io.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { usage } from '../usage.js';

export async function startCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.start);
    return 0;
  }
  expectPositionals(positionals, [], 'start');
  const config = ctx.config();
  // Refused before the database is touched: PostgreSQL needs LATCH_SECRET (or LATCH_ALLOW_LOCAL_SECRET).
  if (config.databaseUrl !== undefined) await resolveSecret(config, { sharedDatabase: true });
  // Loaded on demand: the other commands do not need the HTTP stack.
  const { startServer } = await import('../../http/server.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof MetricsListenError) throw new CliError(error.message, { field: 'LATCH_METRICS_ADDRESS', cause: error });
    throw listenFailure(error, config) ?? error;
  }
  const discovery = `${config.issuer}/.well-known/openid-configuration`;
  // Only while there is no admin: the one-time link, the same from every instance and restart within its hour.
  const setupLink = await ensureSetupLink(server.store, config.issuer, server.setupKey).catch((err: unknown) => {
    // The server runs on; the shell can still make the first admin.
    ctx.io.stderr.write(`could not make the setup link (${err instanceof Error ? err.message : String(err)}); use latch users create --email you@example.com --role admin\n`);
    return undefined;
  });
  const text = [
    `Latch is running on ${server.url}`,
    `  issuer:    ${config.issuer}`,
    `  discovery: ${discovery}`,
    `  console:   ${config.issuer}/console/`,
    ...(server.metricsUrl ? [`  metrics:   ${server.metricsUrl}/metrics`] : []),
    '',
    ...(setupLink ? [...setupLinkText(setupLink), ''] : []),
    'Next, in another terminal:',
    '  npx latch users create --email you@example.com',
    '  npx latch clients create --name "My app" --type web --redirect-uri http://localhost:8080/callback',
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
  ctx.print(
    values.json,
    { issuer: config.issuer, url: server.url, discovery, ...(server.metricsUrl ? { metrics: `${server.metricsUrl}/metrics` } : {}), ...(setupLink ? { setup_link: setupLink } : {}) },
    text,
  );

  const signal = await waitForShutdown(ctx.io.signal);
  if (signal === undefined) {
    // Aborted by the caller (tests, an embedding program): no load balancer to tell.
    ctx.io.stderr.write('shutting down...\n');
    await server.close();
    return 0;
  }
  ctx.io.stderr.write(`${signal}: shutting down: /readyz answers 503 for ${config.shutdownDelay} s, then up to ${config.shutdownTimeout} s for the requests in flight (a second signal stops at once)\n`);
  // A second Ctrl+C (or SIGTERM) means now: the store's writes are committed per turn, so nothing committed is lost.
  const now = () => {
    ctx.io.stderr.write('second signal: stopping now\n');
    process.exit(1);
  };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  try {
    const { forced } = await server.shutdown();
    if (forced) ctx.io.stderr.write(`requests still in flight after ${config.shutdownTimeout} s were cut off\n`);
  } finally {
    process.off('SIGINT', now);
    process.off('SIGTERM', now);
  }
  return 0;
}

function waitForShutdown(abort: AbortSignal | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (signal?: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      abort?.removeEventListener('abort', onAbort);
      resolve(signal);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const onAbort = () => done();
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (abort?.aborted) done();
    else abort?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function migrateCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.migrate);
    return 0;
  }
  expectPositionals(positionals, [], 'migrate');
  const { dataDir, databaseUrl } = ctx.config();
  const store = await openStore(databaseUrl === undefined ? { dataDir } : { dataDir, databaseUrl });
  let applied: string[];
  try {
    applied = await store.migrate();
  } finally {
    await store.close();
  }
  const text =
    applied.length === 0
      ? `Database (${store.dialect}) is up to date.`
      : [`Applied ${applied.length} migration(s) to the ${store.dialect} database:`, ...applied.map((m) => `  ${m}`)].join('\n');
  ctx.print(values.json, { applied, dialect: store.dialect }, text);
  return 0;
}
