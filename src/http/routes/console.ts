/**
 * The console (src/console/, built into dist/console/ by `npm run build`): one HTML page for every route under
 * /console (the app routes in the browser), its hashed assets with long caching, and the first-admin setup page.
 * The console is an ordinary public client of the admin API: nothing here signs anyone in or answers for the API.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import { noStore } from '../responses.js';
import { registerConsoleSetup } from './console-setup.js';

/** The same from src/http/routes/ and from dist/http/routes/: the repository root, three levels up. */
export const consoleDist = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/** No inline script or style anywhere: the app is one script and one style sheet of this origin. */
export const consoleCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  map: 'application/json; charset=utf-8',
};

/** What the build writes: a flat directory of names like app-3FZK2X.js, nothing else is ever read. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(js|css|svg|png|map)$/;

function consoleHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('Content-Security-Policy', consoleCsp).header('X-Frame-Options', 'DENY');
}

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

export function registerConsole(app: FastifyInstance, ctx: AppContext, dist = consoleDist): void {
  // Behind a proxy the issuer may have a path (https://example.com/auth): the built page names /console/assets/.
  const prefix = new URL(ctx.config.issuer).pathname.replace(/\/$/, '');
  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    const built = await readOrUndefined(`${dist}index.html`);
    const index = built && prefix ? built.toString('utf8').replaceAll('"/console/assets/', `"${prefix}/console/assets/`) : built;
    consoleHeaders(noStore(reply));
    if (!index) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n');
    }
    return reply.type('text/html; charset=utf-8').send(index);
  };
  app.get('/console', sendIndex);
  app.get('/console/*', sendIndex);

  app.get<{ Params: { '*': string } }>('/console/assets/*', async (request, reply) => {
    const name = request.params['*'];
    const match = ASSET_NAME.exec(name);
    const body = match ? await readOrUndefined(`${dist}assets/${name}`) : undefined;
    consoleHeaders(reply);
    if (!match || !body) return noStore(reply).code(404).type('text/plain; charset=utf-8').send('Not found\n');
    // Hashed names: a new build has new names, so a cached file never goes stale.
    return reply.header('Cache-Control', 'public, max-age=31536000, immutable').type(contentTypes[match[1]!]!).send(body);
  });

  registerConsoleSetup(app, ctx);
}
