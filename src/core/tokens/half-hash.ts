import { createHash } from 'node:crypto';

/**
 * OIDC Core §3.1.3.6 / §3.3.2.11: at_hash and c_hash are the base64url of the left-most half of the hash of the
 * ASCII value, using the hash of the ID token's JWS alg (SHA-512 for EdDSA with Ed25519).
 */
export function halfHash(value: string, alg: string): string {
  const hashName = alg === 'EdDSA' ? 'sha512' : `sha${alg.slice(2)}`;
  const full = createHash(hashName).update(value, 'ascii').digest();
  return full.subarray(0, full.length / 2).toString('base64url');
}
