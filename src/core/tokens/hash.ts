import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a bearer value, base64url: what the store keeps instead of the value. */
export function digest(value: string): string {
  return hash('sha256', value, 'base64url');
}

/**
 * Whether `value` is what `storedDigest` (from `digest`) was made from, compared in constant time: one SHA-256
 * of the value, compared with the stored digest's bytes. A stored digest that is not 32 bytes never matches.
 */
export function matchesDigest(value: string, storedDigest: string): boolean {
  const stored = Buffer.from(storedDigest, 'base64url');
  const presented = hash('sha256', value, 'buffer');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** A random, high-entropy bearer value (256 bits by default), base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings (of any length). */
export function safeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
