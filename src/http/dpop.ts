import { hkdfSync } from 'node:crypto';
import { createDpopNonces, type DpopNonceSource } from '../core/dpop/nonce.js';
import type { DpopVerifierOptions } from '../core/dpop/proof.js';
import type { AppContext } from './context.js';

/**
 * How this server checks DPoP proofs (RFC 9449), at /token and /userinfo alike: the replay cache of the store (shared
 * by every instance), the iat window, and, with LATCH_DPOP_NONCE, stateless nonces under a key derived from the server
 * secret (through the refresh successor key, itself derived from it), so every instance accepts every other's.
 */
export function dpopVerifierOptions(ctx: Pick<AppContext, 'config' | 'store' | 'refreshSuccessorKey'>): DpopVerifierOptions & { nonces: DpopNonceSource | undefined } {
  const nonces = ctx.config.dpopNonce
    ? createDpopNonces(new Uint8Array(hkdfSync('sha256', ctx.refreshSuccessorKey, new Uint8Array(0), 'latch dpop nonce', 32)))
    : undefined;
  return { iatWindow: ctx.config.dpopIatWindow, replay: ctx.store.replay, nonces };
}
