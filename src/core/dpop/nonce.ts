import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 9449 §8: server-provided nonces. Every instance holding the same key issues and accepts the same nonces. */
export interface DpopNonceSource {
  /** The nonce to hand out now (DPoP-Nonce header). */
  current(now: number): string;
  /** Whether a proof's nonce is one this server handed out recently (this window or the previous one). */
  accepts(nonce: string, now: number): boolean;
}

/** Seconds one nonce is handed out; it is accepted for up to twice as long. */
export const DPOP_NONCE_PERIOD = 300;

/**
 * Stateless nonces: an HMAC of the time window with a key derived from the server secret. Nothing is stored, so
 * no instance needs to know what another one handed out, and a nonce expires by itself.
 */
export function createDpopNonces(key: Uint8Array, period = DPOP_NONCE_PERIOD): DpopNonceSource {
  const forWindow = (window: number) => createHmac('sha256', key).update(`latch dpop nonce ${window}`).digest('base64url');
  return {
    current(now) {
      return forWindow(Math.floor(now / period));
    },
    accepts(nonce, now) {
      const window = Math.floor(now / period);
      const presented = Buffer.from(nonce);
      return [window, window - 1].some((w) => {
        const expected = Buffer.from(forWindow(w));
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
    },
  };
}
