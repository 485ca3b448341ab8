import { createHash } from 'node:crypto';
import { safeEqual } from './tokens/hash.js';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved. §4.2: the S256 challenge is 43 base64url characters. */
export const codeVerifierPattern = /^[A-Za-z0-9\-._~]{43,128}$/;
export const s256ChallengePattern = /^[A-Za-z0-9\-_]{43}$/;

/** RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge. */
export function verifyS256(verifier: string, challenge: string): boolean {
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return safeEqual(computed, challenge);
}
