import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import { createTokenVerifier, type LatchAuth, type TokenVerifier, type TokenVerifierOptions } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by `requireToken` on the routes it protects. */
    latch: LatchAuth;
  }
}

export interface RouteOptions {
  /** Scopes this route needs, besides the verifier's. */
  scopes?: readonly string[];
  /** The origin clients address this API at (DPoP proofs name it in htu), e.g. behind a proxy; default: from the request. */
  origin?: string;
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
export function requireToken(options: TokenVerifierOptions | TokenVerifier, route: RouteOptions = {}): preHandlerAsyncHookHandler {
  const verifier = 'verify' in options ? options : createTokenVerifier(options);
  return async function latchRequireToken(request: FastifyRequest, reply: FastifyReply) {
    try {
      // RFC 9449 §7.1: the DPoP proof is checked against this method and URL (htu: what the client addressed).
      const origin = route.origin ?? `${request.protocol}://${request.host}`;
      request.latch = await verifier.verifyRequest(
        { authorization: request.headers.authorization, dpop: request.headers.dpop, method: request.method, url: origin + request.url },
        route.scopes,
      );
      if (request.latch.dpopNonce !== undefined) reply.header('DPoP-Nonce', request.latch.dpopNonce);
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
