import type { FastifyReply } from 'fastify';
import type { AuthorizationResponse } from '../core/authorize/response.js';
import type { OAuthError } from '../core/errors.js';
import { errorPage, formPostPage, formPostScriptPath } from '../interaction/index.js';

/** Headers on every answer (app.ts adds them in onSend; precomputed answers include them directly). */
export const baseHeaders: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/** RFC 6749 §5.1: token responses (and anything holding a credential) must not be cached. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
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
export function sendPage(reply: FastifyReply, body: string, options: { status?: number; formTargets?: string[]; scripts?: string[] } = {}): FastifyReply {
  const targets = (options.formTargets ?? []).map(sourceOf).filter((s): s is string => Boolean(s));
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    // CSP Level 2 §4.2.2 (matching source expressions): a path not ending in "/" matches exactly that file.
    options.scripts?.length ? `script-src ${options.scripts.join(' ')}` : undefined,
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

export function sendErrorPage(reply: FastifyReply, err: OAuthError): FastifyReply {
  const status = err.status >= 400 && err.status < 600 ? err.status : 400;
  return sendPage(reply, errorPage({ error: err.code, description: err.description }), { status });
}

/**
 * Delivers an authorization response: a 303 redirect (RFC 9700 §4.12) or an auto-submitting form (form_post).
 * The form_post page may run exactly one script, its own submit script, loaded from the issuer's origin.
 */
export function sendAuthorizationResponse(reply: FastifyReply, response: AuthorizationResponse, issuer: string): FastifyReply {
  if (response.kind === 'redirect') return noStore(reply).redirect(response.location, 303);
  return sendPage(reply, formPostPage({ action: response.action, fields: response.fields }), {
    formTargets: [response.action],
    scripts: [scriptSource(issuer, formPostScriptPath)],
  });
}

/**
 * A CSP source for one script of this server: its URL on the issuer's origin, never on the request's Host header
 * (which the client chooses). CSP host sources cannot name an IPv6 literal: such an issuer falls back to 'self'.
 */
function scriptSource(issuer: string, path: string): string {
  const { protocol, host } = new URL(issuer);
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) return "'self'";
  return `${protocol}//${host.toLowerCase()}${path}`;
}
