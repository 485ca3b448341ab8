import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a bearer value, base64url: what the store keeps instead of the value. */
export function digest(value: string): string {
  return hash('sha256', value, 'base64url');
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
