export { dpopRequired, pushedRequestJkt, refreshTokenJkt, requireProofFor, tokenRequestProof } from './binding.js';
export { DpopProofError, type DpopErrorCode } from './errors.js';
export { normalizeHtu } from './htu.js';
export { createDpopNonces, DPOP_NONCE_PERIOD, type DpopNonceSource } from './nonce.js';
export {
  accessTokenHash,
  DPOP_SIGNING_ALGS,
  singleDpopHeader,
  verifyDpopProof,
  type DpopProof,
  type DpopReplayCache,
  type DpopRequest,
  type DpopVerifierOptions,
} from './proof.js';
export { checkTokenBinding, dpopChallenge, resourceProof, tokenScheme, type ResourceRequest, type TokenScheme } from './resource.js';
