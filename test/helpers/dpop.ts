/** Hand-made DPoP proofs (RFC 9449 §4.2), for the checks a well-behaved client library never trips. */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { accessTokenHash } from '../../src/core/dpop/proof.js';

export interface ProofKey {
  privateKey: PrivateKey;
  publicKey: PrivateKey;
  jwk: JWK;
  privateJwk: JWK;
  jkt: string;
  alg: string;
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, jwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(jwk, 'sha256'), alg };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  iat?: number;
  jti?: string;
  accessToken?: string;
  ath?: string;
  nonce?: string;
  typ?: string;
  /** Override the header's jwk (e.g. with a private key). */
  jwk?: JWK;
  omit?: readonly ('jti' | 'htm' | 'htu' | 'iat')[];
}

export async function proof(key: ProofKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.accessToken !== undefined) claims.ath = accessTokenHash(options.accessToken);
  if (options.ath !== undefined) claims.ath = options.ath;
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  for (const name of options.omit ?? []) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ typ: options.typ ?? 'dpop+jwt', alg: key.alg, jwk: options.jwk ?? key.jwk }).sign(key.privateKey);
}

/** A JWT with the given header, signed with an HMAC secret or not at all (alg none): what must never be accepted. */
export function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}
