export { AuthorizationServerUnavailable, BearerError, isBearerError, type BearerErrorCode } from './bearer-error.js';
export { requireToken as requireTokenExpress } from './express.js';
export { requireToken as requireTokenFastify } from './fastify.js';
export {
  createTokenVerifier,
  type AccessTokenClaims,
  type LatchAuth,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verifier.js';
