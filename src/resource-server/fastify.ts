import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import { createTokenVerifier, type LatchAuth, type TokenVerifier, type TokenVerifierOptions } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by `requireToken` on the routes it protects. */
    latch: LatchAuth;
  }
}

/**
 * A Fastify preHandler that lets a request through only with a valid Latch access token for this API and the
 * required scopes; it sets `request.latch` ({ claims, scopes, format }). Otherwise it answers RFC 6750 errors.
 *
 *   app.get('/photos', { preHandler: requireToken({ issuer, audience, scopes: ['read:photos'] }) }, handler)
 *
 * Pass a verifier made once with `createTokenVerifier` to share its caches between routes:
 * `requireToken(verifier, { scopes: ['write:photos'] })`.
 */
export function requireToken(options: TokenVerifierOptions | TokenVerifier, route: { scopes?: readonly string[] } = {}): preHandlerAsyncHookHandler {
  const verifier = 'verify' in options ? options : createTokenVerifier(options);
  return async function latchRequireToken(request: FastifyRequest, reply: FastifyReply) {
    try {
      request.latch = await verifier.verify(request.headers.authorization, route.scopes);
    } catch (err) {
      if (err instanceof BearerError) {
        return reply.code(err.status).headers(err.headers).header('cache-control', 'no-store').send(err.toJSON());
      }
      if (err instanceof AuthorizationServerUnavailable) {
        request.log.error({ err }, 'access token check failed: authorization server unavailable');
        return reply.code(503).header('retry-after', '5').send(err.toJSON());
      }
      throw err;
    }
  };
}
