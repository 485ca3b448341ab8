import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a bearer value, base64url: what the store keeps instead of the value. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A random, high-entropy bearer value (256 bits by default), base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings (of any length). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
