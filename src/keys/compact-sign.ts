import { constants, createPrivateKey, sign, type JsonWebKey, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from './types.js';

/**
 * The one JOSE step Latch does not leave to `jose`: producing a compact JWS (RFC 7515 §7.1) for a token it
 * issues. jose 6 signs through WebCrypto only, which on the benchmark machine tops out at about 12.6k ES256
 * signatures/s per core against about 31k for node:crypto with a KeyObject imported once (issue 5); token
 * issuance is the hot path. jose still generates, exports, encrypts, publishes and verifies every key and
 * token, and the tests check this module's output for every algorithm with jose's jwtVerify.
 */
export interface CompactSigningKey {
  readonly alg: SigningAlg;
  readonly kid: string;
  /** BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature), for a payload already serialized as JSON. */
  signJson(payloadJson: string, typ: string): string;
}

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/** RFC 7518 §3.1 (RS256 is RSASSA-PKCS1-v1_5 with SHA-256) and RFC 8037 §3.1 (EdDSA signs the input itself). */
const DIGEST: Record<SigningAlg, string | null> = { RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', EdDSA: null };

function signingInput(key: KeyObject, alg: SigningAlg): SignKeyObjectInput | KeyObject {
  // RFC 7518 §3.4: an ECDSA signature is R || S, 32 bytes each for P-256, not DER.
  if (alg === 'ES256') return { key, dsaEncoding: 'ieee-p1363' };
  // RFC 7518 §3.5: RSASSA-PSS with MGF1 and a salt as long as the hash (32 bytes for SHA-256).
  if (alg === 'PS256') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  return key;
}

/** RFC 7518 §3.3 and §3.4, RFC 8037 §3.1: the key type each algorithm needs. */
function checkKeyType(key: KeyObject, alg: SigningAlg, kid: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const ok =
    alg === 'ES256'
      ? type === 'ec' && details.namedCurve === 'prime256v1'
      : alg === 'EdDSA'
        ? type === 'ed25519' || type === 'ed448'
        : (type === 'rsa' || (alg === 'PS256' && type === 'rsa-pss')) && (details.modulusLength ?? 0) >= 2048;
  if (!ok) throw new SigningKeyError(`key ${kid} cannot sign ${alg} (it is a ${type ?? 'unknown'} key)`);
}

/** Imports a private JWK once, for signing compact JWS with `alg` under `kid`. */
export function compactSigningKey(jwk: JWK, alg: SigningAlg, kid: string): CompactSigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new SigningKeyError(`key ${kid}: not a usable private JWK (${(error as Error).message})`);
  }
  if (key.type !== 'private') throw new SigningKeyError(`key ${kid}: not a private key`);
  checkKeyType(key, alg, kid);
  const digest = DIGEST[alg];
  const input = signingInput(key, alg);
  const headers = new Map<string, string>();
  return {
    alg,
    kid,
    signJson(payloadJson, typ) {
      let header = headers.get(typ);
      if (header === undefined) {
        header = Buffer.from(JSON.stringify({ alg, kid, typ })).toString('base64url');
        headers.set(typ, header);
      }
      const signed = `${header}.${Buffer.from(payloadJson).toString('base64url')}`;
      return `${signed}.${sign(digest, Buffer.from(signed), input).toString('base64url')}`;
    },
  };
}
