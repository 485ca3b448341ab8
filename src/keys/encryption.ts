import { CompactEncrypt, compactDecrypt, type JWK } from 'jose';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class KeyDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyDecryptionError';
  }
}

/** Encrypts a private JWK under the 32-byte secret: compact JWE, `dir` + `A256GCM`, kid in the protected header. */
export async function encryptPrivateJwk(jwk: JWK, secret: Uint8Array): Promise<string> {
  const header: { alg: string; enc: string; cty: string; kid?: string } = { alg: 'dir', enc: 'A256GCM', cty: 'jwk+json' };
  if (jwk.kid) header.kid = jwk.kid;
  return new CompactEncrypt(encoder.encode(JSON.stringify(jwk))).setProtectedHeader(header).encrypt(secret);
}

/** Decrypts what `encryptPrivateJwk` produced; throws KeyDecryptionError on a wrong secret or a tampered value. */
export async function decryptPrivateJwk(jwe: string, secret: Uint8Array, expectedKid?: string): Promise<JWK> {
  let jwk: JWK;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, secret, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    jwk = JSON.parse(decoder.decode(plaintext)) as JWK;
    if (expectedKid !== undefined && (protectedHeader.kid !== expectedKid || jwk.kid !== expectedKid)) {
      throw new Error(`kid mismatch`);
    }
  } catch (err) {
    const kid = expectedKid ? ` ${expectedKid}` : '';
    throw new KeyDecryptionError(
      `cannot decrypt signing key${kid}: wrong LATCH_SECRET / secret.key, or a damaged key (${(err as Error).message})`,
    );
  }
  return jwk;
}
