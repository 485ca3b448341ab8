import cookie from '@fastify/cookie';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { isOAuthError, OAuthError } from '../core/errors.js';
import type { AppContext } from './context.js';
import { pageChrome } from './page-chrome.js';
import { registerFormParser } from './form.js';
import { baseHeaders, sendErrorPage, sendJson, sendOAuthError } from './responses.js';
import { registerAuthorize } from './routes/authorize.js';
import { registerPar } from './routes/par.js';
import { registerBrandAssets } from './routes/brand-assets.js';
import { registerConsole } from './routes/console.js';
import { registerDevice } from './routes/device.js';
import { registerDiscovery } from './routes/discovery.js';
import { registerInteraction } from './routes/interaction.js';
import { registerFederation } from './routes/federation.js';
import { registerSecondFactor } from './routes/second-factor.js';
import { registerAccountSecurity } from './routes/account-security.js';
import { registerLogout } from './routes/logout.js';
import { registerTokenEndpoints } from './routes/token.js';
import { registerUserinfo } from './routes/userinfo.js';
import { registerRegistration } from './routes/register.js';
import { registerAccount } from './routes/account.js';
import { registerAccountFactor } from './routes/account-factor.js';
import { registerPasswordReset } from './routes/password-reset.js';
import { registerSignup } from './routes/signup.js';
import { registerAdminApi } from './admin/register.js';
import type { TurnEnd } from '../runtime/turn-end.js';
import { asStoreUnavailable } from '../storage/unavailable.js';
import { createCors, type CorsPolicy } from './cors.js';
import type { OnResponse } from '../observability/access-log.js';
import type { Tracing } from '../observability/tracing.js';

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
  /** Fastify's trustProxy: a boolean, a hop count, or the proxies' addresses and CIDR ranges. */
  trustProxy: boolean | number | string[];
  /** Where log lines go (default: stdout); tests read them. */
  logStream?: { write(line: string): void };
  /** Answers go out at the end of the turn, after its commit (runtime/turn-end.ts): the one the store and keys share. */
  turnEnd: TurnEnd;
  /** Seconds a client has for a whole request (0: no limit), and for its headers. */
  timeouts?: { request: number; headers: number };
  /** Told of every answer: the access log and the request metrics (observability/access-log.ts). */
  onResponse?: OnResponse;
  /** A span per request (observability/tracing.ts), when traces are exported. */
  tracing?: Tracing;
  /** True while the server shuts down: answers then close their connection (observability/shutdown.ts). */
  draining?: () => boolean;
}

/** Without a proxy in front, a slow client must not hold a connection open forever (Fastify's requestTimeout is 0). */
function timeoutOptions(timeouts: NonNullable<BuildOptions['timeouts']>) {
  const requestTimeout = timeouts.request * 1000;
  const headersTimeout = timeouts.headers * 1000;
  const shortest = Math.min(headersTimeout, requestTimeout || headersTimeout);
  return {
    requestTimeout,
    // Node checks both limits every connectionsCheckingInterval (30 s by default): check often enough for them.
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(shortest / 4))) },
  };
}

/** Turns framework errors (bad content type, oversized or malformed body) into RFC 6749 §5.2 errors. */
function toOAuthError(err: FastifyError): OAuthError {
  if (isOAuthError(err)) return err;
  const unavailable = asStoreUnavailable(err);
  if (unavailable) {
    // RFC 6749 §4.1.2.1 names temporarily_unavailable for authorization responses; it is used at every endpoint, with 503.
    return new OAuthError('temporarily_unavailable', 'the database is unavailable right now; try again after Retry-After seconds', {
      status: 503,
      detail: unavailable.message,
      headers: { 'Retry-After': String(unavailable.retryAfter) },
    });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new OAuthError('invalid_request', err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'unsupported Content-Type: use application/x-www-form-urlencoded'
      : `malformed request: ${err.message}`, { status: 400 });
  }
  return new OAuthError('server_error', 'the server could not complete the request', { status: 500, detail: err.message });
}

/**
 * Fastify 5 takes the proxies' addresses as they are, but fails closed on a bare hop count (it cannot check the
 * nearest peer); a hop count here means what it says: the nearest `hops` peers are proxies, whoever they are.
 */
function fastifyTrustProxy(trust: BuildOptions['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * Behind a reverse proxy with LATCH_TRUST_PROXY off, every request seems to come from the proxy, so the throttle
 * counts everyone's failures as one address's. Say so once, at the first answer to a request that shows it (discovery
 * and the JWKS, written straight to the socket, are not looked at; every sign-in is).
 */
function proxyWarning(app: FastifyInstance): (request: FastifyRequest) => void {
  let warned = false;
  return (request) => {
    if (warned || request.headers['x-forwarded-for'] === undefined) return;
    warned = true;
    app.log.warn(
      { event: 'config.trust_proxy_off', remoteAddress: request.ip },
      'a request arrived with X-Forwarded-For but LATCH_TRUST_PROXY is off: every client behind that proxy counts as one address for the sign-in limits; set LATCH_TRUST_PROXY to the proxy address (see README, "Behind a reverse proxy")',
    );
  };
}

/**
 * A path Fastify cannot route (broken percent-encoding, an oversized parameter): answered before any route or hook,
 * so written straight out, in the error format of the part of Latch it was meant for.
 */
function answerMalformedPath(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const admin = request.raw.url?.startsWith('/admin/api/') ?? false;
  const body = admin
    ? JSON.stringify({ type: 'urn:latch:problem:invalid-input', title: 'Invalid input', status: 400, detail: 'the path is not valid: broken percent-encoding or too long', errors: [{ field: 'path', message: 'is not a valid URL path' }] })
    : JSON.stringify({ error: 'invalid_request', error_description: 'the path is not valid: broken percent-encoding or too long' });
  void error;
  reply.raw.writeHead(400, {
    ...baseHeaders,
    'Content-Type': admin ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  reply.raw.end(body);
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
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    trustProxy: fastifyTrustProxy(options.trustProxy),
    // Per-request start/end lines only when debugging: at info they would double the log volume of a busy server.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' && options.logLevel !== 'trace' }),
    bodyLimit: 65536,
    // The admin API takes an API identifier (a URI, up to 2048 characters) URL-encoded as one path segment.
    routerOptions: { maxParamLength: 8192 },
    return503OnClosing: true,
    frameworkErrors: answerMalformedPath,
    ...(options.timeouts && timeoutOptions(options.timeouts)),
  });
  registerFormParser(app);
  app.decorateRequest('clientId', null);
  if (options.tracing) {
    app.addHook('onRequest', options.tracing.onRequest);
    app.addHook('preHandler', options.tracing.preHandler);
  }
  if (options.onResponse) app.addHook('onResponse', options.onResponse);
  const draining = options.draining;
  const noteForwardedFor = options.trustProxy === false ? proxyWarning(app) : undefined;

  // Every answer goes out at the end of the event-loop turn that produced it, with the others of that turn.
  const turnWrites = options.turnEnd.queue(undefined, (err) => app.log.error({ err }, 'writing an answer failed'));
  const cors = createCors(ctx.store, ctx.now);
  // One callback hook, not an async one (besides the response observer's, also a callback): it runs on every answer, and needs no
  // promise unless CORS has to look up who may read the answer (an Origin header on a `client` route).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(baseHeaders);
    // A keep-alive client reconnects, to an instance that is not shutting down.
    if (draining?.()) reply.header('Connection', 'close');
    noteForwardedFor?.(request);
    if (request.headers.origin === undefined || request.routeOptions.config.cors !== 'client') {
      cors.headers(request, reply);
      turnWrites.defer(done, null, payload);
      return;
    }
    const send = () => {
      cors.headers(request, reply);
      turnWrites.defer(done, null, payload);
    };
    // A failed look-up leaves the answer without CORS headers; it still goes out.
    cors.resolve(request).then(send, send);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const err = toOAuthError(error);
    if (err.code === 'server_error') request.log.error({ err: error }, 'request failed');
    else if (err.code === 'temporarily_unavailable') request.log.warn({ detail: err.detail }, 'request refused: store unavailable');
    else request.log.debug({ error: err.code, detail: err.detail ?? err.description }, 'request refused');
    if (request.routeOptions.config.page) {
      if (err.headers['Retry-After']) reply.header('Retry-After', err.headers['Retry-After']);
      return sendErrorPage(reply, err, { chrome: () => pageChrome(ctx, request, { storeUnavailable: err.code === 'temporarily_unavailable' }) });
    }
    return sendOAuthError(reply, err);
  });
  app.setNotFoundHandler((request, reply) => sendJson(reply, { error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` }, 404));

  // CORS preflight for the endpoints browser apps call directly, and for no other.
  cors.registerPreflight(app);

  // Endpoints called by apps and resource servers: no cookies, so no cookie hooks on every request.
  app.register(async (scope) => {
    registerDiscovery(scope, ctx, turnWrites);
    registerBrandAssets(scope, ctx);
    registerTokenEndpoints(scope, ctx);
    registerPar(scope, ctx);
    registerUserinfo(scope, ctx);
    registerRegistration(scope, ctx);
  });
  // The admin API (bearer tokens, RFC 9457 problem details): no cookies, errors of its own.
  app.register(async (scope) => registerAdminApi(scope, ctx), { prefix: '/admin/api' });
  // Endpoints a browser visits: the session and per-browser cookies (cookies.ts).
  app.register(async (scope) => {
    await scope.register(cookie);
    registerAuthorize(scope, ctx);
    registerInteraction(scope, ctx);
    registerFederation(scope, ctx);
    registerSecondFactor(scope, ctx);
    registerAccountSecurity(scope, ctx);
    registerLogout(scope, ctx);
    registerDevice(scope, ctx);
    registerConsole(scope, ctx);
    registerSignup(scope, ctx);
    registerPasswordReset(scope, ctx);
    registerAccount(scope, ctx);
    registerAccountFactor(scope, ctx);
  });
  return app;
}
