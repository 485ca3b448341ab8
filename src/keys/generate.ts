import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlg } from './types.js';

export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/** JWK members that may appear in a published key; everything else (d, p, q, dp, dq, qi, oth, k, ...) is dropped. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

export interface GeneratedKey {
  kid: string;
  alg: SigningAlg;
  /** Public members only, plus kid, alg and use: 'sig'. */
  publicJwk: JWK;
  /** The full private JWK (with kid and alg), to be encrypted before it is stored. */
  privateJwk: JWK;
}

export function isSigningAlg(value: string): value is SigningAlg {
  return (SIGNING_ALGS as readonly string[]).includes(value);
}

/** Copies only the public members of a JWK, then sets kid, alg and use. */
export function toPublicJwk(jwk: JWK, kid: string, alg: string): JWK {
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) {
    const value = jwk[member];
    if (value !== undefined) out[member] = value;
  }
  return { ...out, kid, alg, use: 'sig' };
}

/** RS256 and PS256: 2048-bit RSA; ES256: P-256; EdDSA: Ed25519. kid is the RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true, modulusLength: 2048 };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const exportedPublic = await exportJWK(publicKey);
  const exportedPrivate = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(exportedPublic, 'sha256');
  return {
    kid,
    alg,
    publicJwk: toPublicJwk(exportedPublic, kid, alg),
    privateJwk: { ...exportedPrivate, kid, alg, use: 'sig' },
  };
}
