import type { DpopReplayCache } from '../core/dpop/proof.js';

/** Entries kept at most; the oldest are dropped first (a proof is valid for seconds, so this is a memory bound only). */
const maxEntries = 100_000;

/**
 * The default DPoP `jti` replay cache of a resource server: in memory, per verifier (so per process). Several
 * instances of one API should pass a shared one instead (`dpop.replay`, e.g. on Redis): a proof replayed to another
 * instance is otherwise accepted there once.
 */
export function memoryReplayCache(): DpopReplayCache {
  const seen = new Map<string, number>();
  return {
    async remember(key, expiresAt, now) {
      const until = seen.get(key);
      if (until !== undefined && until > now) return false;
      if (seen.size >= maxEntries) {
        for (const [k, exp] of seen) {
          if (exp <= now || seen.size >= maxEntries) seen.delete(k);
          else break;
        }
      }
      seen.delete(key);
      seen.set(key, expiresAt);
      return true;
    },
  };
}
