import { hash, timingSafeEqual } from 'node:crypto';
import type { ClientRecord } from '../../storage/types.js';

function sameDigest(presented: Buffer, storedDigest: string | null | undefined): boolean {
  const stored = storedDigest ? Buffer.from(storedDigest, 'base64url') : Buffer.alloc(0);
  // A missing or malformed digest is still compared (against zeros), so that both checks always take the same time.
  const candidate = stored.length === presented.length ? stored : Buffer.alloc(presented.length);
  return timingSafeEqual(presented, candidate) && stored.length === presented.length;
}

/**
 * RFC 6749 §2.3.1: whether `secret` is the client's secret, or (after a rotation with a grace period) its previous
 * secret before the grace ends at `previousSecret.expiresAt`. One SHA-256 of the secret, compared with both
 * digests in constant time: both comparisons always run, so the timing tells neither which one matched.
 */
export function matchesClientSecret(secret: string, client: Pick<ClientRecord, 'clientSecretDigest' | 'previousSecret'>, now: number): boolean {
  const presented = hash('sha256', secret, 'buffer');
  const current = sameDigest(presented, client.clientSecretDigest);
  const previous = client.previousSecret ?? null;
  const old = sameDigest(presented, previous?.digest);
  return current || (old && previous !== null && now < previous.expiresAt);
}
