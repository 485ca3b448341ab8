import type { FastifyReply } from 'fastify';
import type { AuthorizationResponse } from '../core/authorize/response.js';
import type { OAuthError } from '../core/errors.js';
import { errorPage, formPostPage } from '../interaction/index.js';

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
export function sendPage(reply: FastifyReply, body: string, options: { status?: number; formTargets?: string[]; script?: boolean } = {}): FastifyReply {
  const targets = (options.formTargets ?? []).map(sourceOf).filter((s): s is string => Boolean(s));
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    options.script ? "script-src 'self'" : undefined,
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
  const status = err.status >= 500 ? err.status : 400;
  return sendPage(reply, errorPage({ error: err.code, description: err.description }), { status });
}

/** Delivers an authorization response: a 303 redirect (RFC 9700 §4.12) or an auto-submitting form (form_post). */
export function sendAuthorizationResponse(reply: FastifyReply, response: AuthorizationResponse): FastifyReply {
  if (response.kind === 'redirect') return noStore(reply).redirect(response.location, 303);
  return sendPage(reply, formPostPage({ action: response.action, fields: response.fields }), {
    formTargets: [response.action],
    script: true,
  });
}
