import cookie from '@fastify/cookie';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { isOAuthError, OAuthError } from '../core/errors.js';
import type { AppContext } from './context.js';
import { registerFormParser } from './form.js';
import { baseHeaders, sendErrorPage, sendJson, sendOAuthError } from './responses.js';
import { registerAuthorize } from './routes/authorize.js';
import { registerDevice } from './routes/device.js';
import { registerDiscovery } from './routes/discovery.js';
import { registerInteraction } from './routes/interaction.js';
import { registerLogout } from './routes/logout.js';
import { registerTokenEndpoints } from './routes/token.js';
import { registerUserinfo } from './routes/userinfo.js';
import { TurnQueue } from '../runtime/turn-queue.js';
import { createCors, type CorsPolicy } from './cors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Errors on this route are shown as an HTML page, not JSON. */
    page?: boolean;
    /** Browser apps on other origins may call this route (no cookies involved): see cors.ts. */
    cors?: CorsPolicy;
  }
}

export interface BuildOptions {
  logLevel: string;
  trustProxy: boolean;
}

/** Turns framework errors (bad content type, oversized or malformed body) into RFC 6749 §5.2 errors. */
function toOAuthError(err: FastifyError): OAuthError {
  if (isOAuthError(err)) return err;
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new OAuthError('invalid_request', err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'unsupported Content-Type: use application/x-www-form-urlencoded'
      : `malformed request: ${err.message}`, { status: 400 });
  }
  return new OAuthError('server_error', 'the server could not complete the request', { status: 500, detail: err.message });
}

export function buildApp(ctx: AppContext, options: BuildOptions): FastifyInstance {
  const app = Fastify({
    logger: {
      level: options.logLevel,
      // Never log credentials: no query strings (they may carry id_token_hint), no Authorization, no cookies.
      serializers: {
        req: (req) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip }),
      },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    trustProxy: options.trustProxy,
    // Per-request start/end lines only when debugging: at info they would double the log volume of a busy server.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' && options.logLevel !== 'trace' }),
    bodyLimit: 65536,
    return503OnClosing: true,
  });
  registerFormParser(app);

  // Every answer goes out at the end of the event-loop turn that produced it, with the others of that turn.
  const turnWrites = new TurnQueue(undefined, (err) => app.log.error({ err }, 'writing an answer failed'));
  const cors = createCors(ctx.store, ctx.now);
  // Callback hooks, not async ones: they run on every request, and need no promise unless CORS has to look.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.headers.origin === undefined || request.routeOptions.config.cors !== 'client') return done();
    cors.resolve(request).then(() => done(), done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(baseHeaders);
    cors.headers(request, reply);
    turnWrites.defer(done, null, payload);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const err = toOAuthError(error);
    if (err.code === 'server_error') request.log.error({ err: error }, 'request failed');
    else request.log.debug({ error: err.code, detail: err.detail ?? err.description }, 'request refused');
    if (request.routeOptions.config.page) return sendErrorPage(reply, err);
    return sendOAuthError(reply, err);
  });
  app.setNotFoundHandler((request, reply) => sendJson(reply, { error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` }, 404));

  // CORS preflight for the endpoints browser apps call directly, and for no other.
  cors.registerPreflight(app);

  // Endpoints called by apps and resource servers: no cookies, so no cookie hooks on every request.
  app.register(async (scope) => {
    registerDiscovery(scope, ctx, turnWrites);
    registerTokenEndpoints(scope, ctx);
    registerUserinfo(scope, ctx);
  });
  // Endpoints a browser visits: the session and per-browser cookies (cookies.ts).
  app.register(async (scope) => {
    await scope.register(cookie);
    registerAuthorize(scope, ctx);
    registerInteraction(scope, ctx);
    registerLogout(scope, ctx);
    registerDevice(scope, ctx);
  });
  return app;
}
