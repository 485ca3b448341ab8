import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import type { AccessTokenClaims } from './verifier.js';

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  clockTolerance: number;
  cooldown: number;
  algorithms: readonly string[];
  realm: string | undefined;
  fetch: typeof fetch;
  jwksUri(): Promise<string>;
}

/**
 * RFC 9068 §4: validates a JWT access token against the issuer's JWKS, fetched on first use and cached; an
 * unknown `kid` fetches the JWKS again (after a cooldown), so signing key rotation needs no restart.
 */
export function jwtAccessTokenVerifier(options: JwtVerifierOptions) {
  const { realm } = options;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const invalid = (description: string) => new BearerError('invalid_token', description, { realm });

  async function keySet() {
    if (jwks) return jwks;
    const uri = await options.jwksUri();
    jwks = createRemoteJWKSet(new URL(uri), {
      cooldownDuration: options.cooldown,
      [customFetch]: (url, init) => options.fetch(url, init),
    });
    return jwks;
  }

  return {
    async verify(token: string): Promise<AccessTokenClaims> {
      const keys = await keySet();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          // RFC 9068 §4: "verify that the typ header value is at+jwt", iss, aud, exp, and an allowed alg.
          typ: 'at+jwt',
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...options.algorithms],
          clockTolerance: options.clockTolerance,
          // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED.
          requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
        }));
      } catch (err) {
        throw explain(err, invalid);
      }
      return payload as AccessTokenClaims;
    },
  };
}

/** Turns a jose failure into a precise RFC 6750 invalid_token, or a 503 when the JWKS could not be fetched. */
function explain(err: unknown, invalid: (description: string) => BearerError): Error {
  if (err instanceof errors.JWTExpired) return invalid('the access token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'typ':
        return invalid('the token is not a JWT access token (typ must be at+jwt)');
      case 'aud':
        return invalid('the access token is not for this API (wrong audience)');
      case 'iss':
        return invalid('the access token was issued by another authorization server');
      case 'nbf':
      case 'iat':
        return invalid('the access token is not valid yet');
      default:
        return invalid(`the access token is invalid: claim ${err.claim} ${err.reason}`);
    }
  }
  if (err instanceof errors.JWKSNoMatchingKey) return invalid('the access token is signed with an unknown key');
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('the access token signature is invalid');
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('the access token is signed with an algorithm this API does not accept');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err instanceof AuthorizationServerUnavailable) {
    return err instanceof AuthorizationServerUnavailable ? err : new AuthorizationServerUnavailable(`JWKS: ${err.message}`, { cause: err });
  }
  // jose reports a JWKS response that is not 200 JSON as a generic error naming the JSON Web Key Set.
  if (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(err.message)) {
    return new AuthorizationServerUnavailable(`JWKS: ${err.message}`, { cause: err });
  }
  if (err instanceof errors.JOSEError) return invalid('the access token is malformed');
  // fetch failures (network) while getting the JWKS
  if (err instanceof TypeError || (err instanceof Error && err.name === 'AbortError')) {
    return new AuthorizationServerUnavailable(`JWKS: ${err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
