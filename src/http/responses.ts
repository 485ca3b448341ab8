import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeliveredResponse } from '../core/authorize/response.js';
import type { OAuthError } from '../core/errors.js';
import { describeError, errorPage, formPostPage, formPostScriptPath, type PageChrome, type PageMessage } from '../pages/index.js';

/** Headers on every answer (app.ts adds them in onSend; precomputed answers include them directly). */
export const baseHeaders: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/** RFC 6749 §5.1: token responses (and anything holding a credential) must not be cached. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}

/**
 * An async route handler that always answers through `reply` (sendJson, or by throwing), run as Fastify's
 * callback style: an async handler that returns the reply makes Fastify wait for the answer to be written
 * (Reply.then listens for the end of the response stream), and answers are written at the end of the turn (app.ts),
 * so every answer paid for those listeners. A rejection goes to the error handler, as Fastify does for an async
 * handler. For routes with every path ending in a reply (the hot ones: /token, /introspect). The handler must not
 * return the reply (TypeScript cannot tell: a reply is a thenable of nothing).
 */
export function answering<Request extends FastifyRequest>(
  handler: (request: Request, reply: FastifyReply) => Promise<undefined>,
): (request: Request, reply: FastifyReply) => void {
  return (request, reply) => {
    handler(request, reply).then(undefined, (error: unknown) => {
      reply.send(error instanceof Error ? error : new Error(String(error)));
    });
  };
}

export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return noStore(reply).code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** RFC 6749 §5.2 error JSON, with the error's own headers (WWW-Authenticate). */
export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return sendJson(reply, err.toJSON(), err.status);
}

function sourceOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
  } catch {
    return undefined;
  }
}

/**
 * Pages: never framed, never cached, no inline script. `formTargets` are the origins a form on the page may
 * reach, including through the redirect that answers it (browsers apply form-action to that redirect too).
 */
export function sendPage(
  reply: FastifyReply,
  body: string,
  options: { status?: number; formTargets?: string[]; scripts?: string[]; connect?: boolean; frames?: string[] } = {},
): FastifyReply {
  const targets = (options.formTargets ?? []).map(sourceOf).filter((s): s is string => Boolean(s));
  const frames = (options.frames ?? []).map(sourceOf).filter((s): s is string => Boolean(s));
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    // CSP Level 2 §4.2.2 (matching source expressions): a path not ending in "/" matches exactly that file.
    options.scripts?.length ? `script-src ${options.scripts.join(' ')}` : undefined,
    // Passkey pages (issue 13): their script posts the WebAuthn ceremony to this origin's JSON endpoints.
    options.connect ? "connect-src 'self'" : undefined,
    // Front-Channel Logout (issue 15): the logged-out page frames exactly the origins of the clients' logout URIs.
    frames.length ? `frame-src ${[...new Set(frames)].join(' ')}` : undefined,
    `form-action 'self'${targets.length ? ' ' + [...new Set(targets)].join(' ') : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ]
    .filter(Boolean)
    .join('; ');
  return noStore(reply)
    .code(options.status ?? 200)
    .header('Content-Security-Policy', csp)
    .header('X-Frame-Options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(body);
}

/** The page chrome (language, branding), or how to get it: only pages need it, so redirects never read it. */
export type ChromeSource = PageChrome | (() => Promise<PageChrome>);

async function resolveChrome(chrome: ChromeSource | undefined): Promise<PageChrome> {
  if (chrome === undefined) return {};
  return typeof chrome === 'function' ? chrome() : chrome;
}

/**
 * An error page in the person's language: `message` when the route knows what happened in people's words (an
 * expired form), else the words for the error code, with the protocol's English error_description as details.
 */
export async function sendErrorPage(reply: FastifyReply, err: OAuthError, options: { chrome?: ChromeSource; message?: PageMessage } = {}): Promise<FastifyReply> {
  const status = err.status >= 400 && err.status < 600 ? err.status : 400;
  const chrome = await resolveChrome(options.chrome);
  const body = options.message
    ? errorPage({ error: err.code, description: options.message, ...chrome })
    : errorPage({ error: err.code, description: describeError(err.code), ...(err.description ? { details: err.description } : {}), ...chrome });
  return sendPage(reply, body, { status });
}

/**
 * Delivers an authorization response: a 303 redirect (RFC 9700 §4.12) or an auto-submitting form (form_post).
 * The form_post page may run exactly one script, its own submit script, loaded from the issuer's origin.
 */
export async function sendAuthorizationResponse(reply: FastifyReply, response: DeliveredResponse, issuer: string, chrome?: ChromeSource): Promise<FastifyReply> {
  if (response.kind === 'redirect') return noStore(reply).redirect(response.location, 303);
  return sendPage(reply, formPostPage({ action: response.action, fields: response.fields, ...(await resolveChrome(chrome)) }), {
    formTargets: [response.action],
    scripts: [scriptSource(issuer, formPostScriptPath)],
  });
}

/**
 * A CSP source for one script of this server: its URL on the issuer's origin, never on the request's Host header
 * (which the client chooses). CSP host sources cannot name an IPv6 literal: such an issuer falls back to 'self'.
 */
export function scriptSource(issuer: string, path: string): string {
  const { protocol, host } = new URL(issuer);
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) return "'self'";
  return `${protocol}//${host.toLowerCase()}${path}`;
}
