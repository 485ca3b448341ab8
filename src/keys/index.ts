export type { KeyRing, SigningAlg } from './types.js';
export { resolveSecret, SecretError, SECRET_BYTES, SECRET_FILE } from './secret.js';
export { generateSigningKey, isSigningAlg, toPublicJwk, SIGNING_ALGS, type GeneratedKey } from './generate.js';
export { encryptPrivateJwk, decryptPrivateJwk, KeyDecryptionError } from './encryption.js';
export {
  loadKeyRing,
  rotateKeys,
  RETIRED_KEY_RETENTION,
  KeyRingError,
  type KeyRingOptions,
  type RotationResult,
} from './key-ring.js';
