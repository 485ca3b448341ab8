export { AuthorizationServerUnavailable, BearerError, isBearerError, type BearerErrorCode } from './bearer-error.js';
export { requireToken as requireTokenExpress } from './express.js';
export { requireToken as requireTokenFastify } from './fastify.js';
export {
  createTokenVerifier,
  type AccessTokenClaims,
  type LatchAuth,
  type TokenVerifier,
  type TokenVerifierOptions,
  type DpopOptions,
  type ProtectedRequest,
} from './verifier.js';
export { createDpopNonces, type DpopNonceSource } from '../core/dpop/nonce.js';
export type { DpopReplayCache } from '../core/dpop/proof.js';
export { memoryReplayCache } from './replay-cache.js';
