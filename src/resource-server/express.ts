import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import { createTokenVerifier, type LatchAuth, type TokenVerifier, type TokenVerifierOptions } from './verifier.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token, set by `requireToken` on the routes it protects. */
      latch?: LatchAuth;
    }
  }
}

/**
 * Express middleware that lets a request through only with a valid Latch access token for this API and the
 * required scopes; it sets `req.latch` and `res.locals.latch` ({ claims, scopes, format }). Otherwise it answers
 * RFC 6750 errors.
 *
 *   app.get('/photos', requireToken({ issuer, audience, scopes: ['read:photos'] }), handler)
 *
 * Pass a verifier made once with `createTokenVerifier` to share its caches between routes.
 */
export function requireToken(options: TokenVerifierOptions | TokenVerifier, route: { scopes?: readonly string[]; origin?: string } = {}): RequestHandler {
  const verifier = 'verify' in options ? options : createTokenVerifier(options);
  return function latchRequireToken(req: Request, res: Response, next: NextFunction) {
    // RFC 9449 §7.1: the DPoP proof is checked against this method and URL (htu: what the client addressed). `origin`:
    // the origin clients address this API at (behind a proxy); default: from the request.
    const origin = route.origin ?? `${req.protocol}://${req.get('host') ?? ''}`;
    const request = { authorization: req.headers.authorization, dpop: req.headers.dpop, method: req.method, url: origin + req.originalUrl };
    verifier.verifyRequest(request, route.scopes).then(
      (auth) => {
        if (auth.dpopNonce !== undefined) res.set('DPoP-Nonce', auth.dpopNonce);
        req.latch = auth;
        res.locals.latch = auth;
        next();
      },
      (err: unknown) => {
        if (err instanceof BearerError) {
          res.status(err.status).set(err.headers).set('cache-control', 'no-store').json(err.toJSON());
        } else if (err instanceof AuthorizationServerUnavailable) {
          res.status(503).set('retry-after', '5').json(err.toJSON());
        } else {
          next(err);
        }
      },
    );
  };
}
