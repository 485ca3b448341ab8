import { DpopProofError } from '../core/dpop/errors.js';
import type { DpopNonceSource } from '../core/dpop/nonce.js';
import { DPOP_SIGNING_ALGS, type DpopProof, type DpopReplayCache, type DpopVerifierOptions } from '../core/dpop/proof.js';
import { checkTokenBinding, resourceProof, type TokenScheme } from '../core/dpop/resource.js';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import { memoryReplayCache } from './replay-cache.js';
import { introspectionClient } from './introspection.js';
import { jwtAccessTokenVerifier } from './jwt-access-token.js';

/** The claims of a verified access token (RFC 9068 §2.2 for JWTs; RFC 7662 §2.2 for opaque tokens). */
export interface AccessTokenClaims {
  iss: string;
  /** The person, or the client itself for a client credentials token. */
  sub: string;
  aud: string | string[];
  client_id: string;
  scope?: string;
  exp: number;
  iat?: number;
  jti?: string;
  auth_time?: number;
  [claim: string]: unknown;
}

/** What a protected route handler gets (`request.latch` in Fastify, `req.latch` / `res.locals.latch` in Express). */
export interface LatchAuth {
  claims: AccessTokenClaims;
  /** The token's scopes, split. */
  scopes: string[];
  /** How the token was checked: locally (JWT) or by asking Latch (introspection). */
  format: 'jwt' | 'opaque';
  /** RFC 9449: the thumbprint of the DPoP key the token is bound to (and the request proved), if it is DPoP-bound. */
  jkt?: string;
  /** RFC 9449 §9: with DPoP nonces on, the nonce to send back in a `DPoP-Nonce` response header. */
  dpopNonce?: string;
}

/** RFC 9449 §7: how this API checks DPoP proofs (DPoP-bound tokens are always accepted with a valid proof). */
export interface DpopOptions {
  /**
   * Where proofs' jti values are remembered. Default: in memory, per verifier (one process); several instances of
   * the API should share one (anything with `remember(key, expiresAt, now): Promise<boolean>`, e.g. on Redis).
   */
  replay?: DpopReplayCache;
  /** Seconds a proof's iat may be away from this server's clock, either way. Default 60. */
  iatWindow?: number;
  /** Accepted proof algorithms (asymmetric only). Default: ES256, ES384, ES512, PS256..PS512, RS256..RS512, EdDSA. */
  algorithms?: readonly string[];
  /** RFC 9449 §9: require a nonce from this source in every proof (`createDpopNonces(secret)`). */
  nonces?: DpopNonceSource;
}

/** A protected request as DPoP needs it: the Authorization header, the DPoP header, the method and the full URL. */
export interface ProtectedRequest {
  authorization: string | string[] | undefined;
  dpop: string | string[] | undefined;
  method: string;
  /** The URL the client addressed, e.g. https://api.example.com/photos?page=2 (the query is ignored). */
  url: string;
}

export interface TokenVerifierOptions {
  /** Latch's issuer URL, e.g. https://login.example.com. Discovery is fetched from it once. */
  issuer: string;
  /** This API's identifier, as registered with `latch apis create --identifier`. Tokens must name it in `aud`. */
  audience: string;
  /** Scopes every request must carry (all of them); per-route scopes can be added by the middleware. */
  scopes?: readonly string[];
  /** Client credentials to call /introspect with, for opaque tokens (an m2m client of Latch). */
  introspection?: { clientId: string; clientSecret: string };
  /** How long an introspection answer is reused, in seconds (never past the token's expiry). Default 30; 0 disables. */
  introspectionCacheTtl?: number;
  /** Allowed clock skew for exp/iat/nbf, in seconds. Default 5. */
  clockTolerance?: number;
  /** After fetching the JWKS, how long an unknown `kid` waits before the JWKS is fetched again, in ms. Default 30000. */
  jwksCooldown?: number;
  /** JWS algorithms accepted for JWT access tokens. Default: ES256, RS256, PS256, EdDSA. */
  algorithms?: readonly string[];
  /** The `realm` of WWW-Authenticate challenges. */
  realm?: string;
  /** fetch implementation (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
  /** DPoP (RFC 9449) proof checking: replay cache, iat window, algorithms, nonces. */
  dpop?: DpopOptions;
}

export interface TokenVerifier {
  readonly options: Readonly<TokenVerifierOptions>;
  /**
   * Verifies the access token of an `Authorization` header value and checks the required scopes (the verifier's
   * plus `extraScopes`). Throws BearerError (answer with its status, headers and JSON) or
   * AuthorizationServerUnavailable (503).
   */
  verify(authorization: string | string[] | undefined, extraScopes?: readonly string[]): Promise<LatchAuth>;
  /**
   * Like `verify`, for a whole request: also accepts `Authorization: DPoP <token>` with a DPoP proof of this method
   * and URL (RFC 9449 §7), and refuses a DPoP-bound token sent as a bearer token. The middlewares use this.
   */
  verifyRequest(request: ProtectedRequest, extraScopes?: readonly string[]): Promise<LatchAuth>;
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

interface ProviderMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
}

/** Creates a verifier for one API. Create it once and share it: discovery, JWKS and introspection answers are cached in it. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuer = options.issuer.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const realm = options.realm;
  let metadata: Promise<ProviderMetadata> | undefined;

  /** OIDC Discovery §4, fetched once; a failure is retried on the next request. */
  function discover(): Promise<ProviderMetadata> {
    metadata ??= (async () => {
      const url = `${issuer}/.well-known/openid-configuration`;
      let body: ProviderMetadata;
      try {
        const res = await doFetch(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
        body = (await res.json()) as ProviderMetadata;
      } catch (err) {
        throw new AuthorizationServerUnavailable(`discovery failed: ${(err as Error).message}`, { cause: err });
      }
      // OIDC Discovery §4.3: the issuer in the metadata MUST be identical to the one the configuration was fetched for.
      if (body.issuer !== issuer) throw new AuthorizationServerUnavailable(`discovery: issuer is ${body.issuer}, expected ${issuer}`);
      return body;
    })();
    metadata.catch(() => {
      metadata = undefined;
    });
    return metadata;
  }

  const jwt = jwtAccessTokenVerifier({
    issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance ?? 5,
    cooldown: options.jwksCooldown ?? 30_000,
    algorithms: options.algorithms ?? ['ES256', 'RS256', 'PS256', 'EdDSA'],
    realm,
    fetch: doFetch,
    jwksUri: async () => {
      const uri = (await discover()).jwks_uri;
      if (!uri) throw new AuthorizationServerUnavailable('discovery: no jwks_uri');
      return uri;
    },
  });
  const introspection = options.introspection
    ? introspectionClient({
        issuer,
        audience: options.audience,
        credentials: options.introspection,
        cacheTtl: options.introspectionCacheTtl ?? 30,
        clockTolerance: options.clockTolerance ?? 5,
        realm,
        fetch: doFetch,
        endpoint: async () => {
          const uri = (await discover()).introspection_endpoint;
          if (!uri) throw new AuthorizationServerUnavailable('discovery: no introspection_endpoint');
          return uri;
        },
      })
    : undefined;

  const dpopAlgorithms = options.dpop?.algorithms ?? DPOP_SIGNING_ALGS;
  const dpop: DpopVerifierOptions = {
    algorithms: dpopAlgorithms,
    iatWindow: options.dpop?.iatWindow ?? 60,
    replay: options.dpop?.replay ?? memoryReplayCache(),
    nonces: options.dpop?.nonces,
  };
  /** RFC 9449 §7.1: a refused DPoP check answers with a DPoP challenge. */
  async function dpopCheck<T>(check: () => T | Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      if (!(err instanceof DpopProofError)) throw err;
      throw new BearerError(err.code, err.description, { realm, dpopAlgorithms, nonce: err.nonce });
    }
  }

  async function check(authorization: string | string[] | undefined, http: Omit<ProtectedRequest, 'authorization'> | undefined, extraScopes: readonly string[]) {
    const { scheme, token } = presentedToken(authorization, realm);
    try {
      return await checkToken(scheme, token, http, extraScopes);
    } catch (err) {
      // RFC 9449 §7.1: a request with the DPoP scheme is answered with a DPoP challenge, whatever the error.
      if (scheme !== 'DPoP' || !(err instanceof BearerError) || err.headers['WWW-Authenticate'].startsWith('DPoP')) throw err;
      throw new BearerError(err.code, err.description, { realm, scope: err.scope, dpopAlgorithms });
    }
  }

  async function checkToken(scheme: TokenScheme, token: string, http: Omit<ProtectedRequest, 'authorization'> | undefined, extraScopes: readonly string[]): Promise<LatchAuth> {
    const now = Math.floor(Date.now() / 1000);
    let proof: DpopProof | undefined;
    if (scheme === 'DPoP') {
      if (!http) throw new BearerError('invalid_request', 'this API checks DPoP proofs only through verifyRequest', { realm, dpopAlgorithms });
      proof = await dpopCheck(() => resourceProof({ scheme, token, dpop: http.dpop, method: http.method, url: http.url, now }, dpop));
    }
    let auth: LatchAuth;
    if (jwtShape.test(token)) {
      auth = { claims: await jwt.verify(token), scopes: [], format: 'jwt' };
    } else if (introspection) {
      auth = { claims: await introspection.introspect(token), scopes: [], format: 'opaque' };
    } else {
      throw new BearerError('invalid_token', 'the access token is not a JWT, and this API has no introspection credentials to check it', { realm });
    }
    // RFC 9449 §6: the token's binding (cnf.jkt, in the JWT or the introspection answer) decides the scheme.
    const cnf = auth.claims.cnf as { jkt?: unknown } | undefined;
    const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
    await dpopCheck(() => checkTokenBinding(jkt, scheme, proof));
    if (jkt !== undefined) auth.jkt = jkt;
    if (proof && dpop.nonces) auth.dpopNonce = dpop.nonces.current(now);
    auth.scopes = typeof auth.claims.scope === 'string' ? auth.claims.scope.split(' ').filter(Boolean) : [];
    const required = [...new Set([...(options.scopes ?? []), ...extraScopes])];
    const missing = required.filter((s) => !auth.scopes.includes(s));
    // RFC 6750 §3.1 insufficient_scope: 403, and the challenge "MAY include the scope attribute with the scope
    // necessary to access the protected resource".
    if (missing.length > 0) {
      throw new BearerError('insufficient_scope', `the access token lacks the scope ${missing.join(' ')}`, { realm, scope: required.join(' ') });
    }
    return auth;
  }

  return {
    options,
    verify: (authorization, extraScopes = []) => check(authorization, undefined, extraScopes),
    verifyRequest: ({ authorization, ...http }, extraScopes = []) => check(authorization, http, extraScopes),
  };
}

/**
 * RFC 6750 §2.1: `Authorization: Bearer <b64token>`, or RFC 9449 §7.1 `Authorization: DPoP <b64token>`; no header (or
 * another scheme) is a request without a token.
 */
function presentedToken(authorization: string | string[] | undefined, realm: string | undefined): { scheme: TokenScheme; token: string } {
  if (Array.isArray(authorization)) {
    if (authorization.length > 1) throw new BearerError('invalid_request', 'more than one Authorization header', { realm });
    authorization = authorization[0];
  }
  const match = authorization === undefined ? null : /^(Bearer|DPoP)(?:\s+(.*))?$/i.exec(authorization.trim());
  // RFC 6750 §3.1: without any authentication information, a challenge without error code.
  if (!match) throw new BearerError(undefined, 'an access token is required (Authorization: Bearer <token>)', { realm });
  const scheme: TokenScheme = match[1]?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  const token = match[2]?.trim() ?? '';
  if (token === '') throw new BearerError('invalid_request', `the Authorization header has no token after "${scheme}"`, { realm });
  if (!b64token.test(token)) throw new BearerError('invalid_request', 'the access token is malformed (RFC 6750 §2.1 b64token)', { realm });
  return { scheme, token };
}
