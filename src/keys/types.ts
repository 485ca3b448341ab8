import type { JSONWebKeySet, JWTPayload, JWTVerifyResult } from 'jose';

export type SigningAlg = 'RS256' | 'ES256' | 'PS256' | 'EdDSA';

/** What `core/` and `http/` need from the signing keys. */
export interface KeyRing {
  /** Algorithms with an active key. */
  readonly algorithms: readonly SigningAlg[];
  /** The public JWKS (next, active and retired keys), as an object and as a precomputed JSON body. */
  jwks(): JSONWebKeySet;
  jwksJson(): string;
  /** Signs a JWT with the active key for `alg` (kid set in the header). */
  sign(payload: JWTPayload, options: { alg: SigningAlg; typ?: string }): Promise<string>;
  /** Verifies a JWT this server signed (any published key); throws on a bad signature. Expiry is checked unless `allowExpired`. */
  verify(jwt: string, options?: { allowExpired?: boolean; audience?: string }): Promise<JWTVerifyResult>;
  /** Re-reads keys from the store (another process may have rotated them). */
  reload(): Promise<void>;
}
