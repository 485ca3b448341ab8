/**
 * The secrets of federation, all derived from the server secret (LATCH_SECRET / secret.key), so that nothing secret
 * is stored: the connection's client secret is sealed (compact JWE, `dir` + `A256GCM`, like signing keys), the
 * `state` sent upstream carries the interaction id encrypted, and the PKCE verifier and the nonce are an HMAC of the
 * state (recomputed at the callback, never stored).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ClientSecretDecryptionError extends Error {
  constructor(connectionId: string) {
    super(`cannot decrypt the client secret of connection ${connectionId}: wrong LATCH_SECRET / secret.key, or a damaged value`);
    this.name = 'ClientSecretDecryptionError';
  }
}

/** Seals a connection's client secret under the server secret, bound to the connection id (kid). */
export function sealClientSecret(clientSecret: string, serverSecret: Uint8Array, connectionId: string): Promise<string> {
  return new CompactEncrypt(encoder.encode(clientSecret))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'latch-connection-secret', kid: connectionId })
    .encrypt(serverSecret);
}

export async function openClientSecret(sealed: string, serverSecret: Uint8Array, connectionId: string): Promise<string> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, serverSecret, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    if (protectedHeader.kid !== connectionId) throw new Error('kid mismatch');
    return decoder.decode(plaintext);
  } catch {
    throw new ClientSecretDecryptionError(connectionId);
  }
}

/** Keys for the state and its derived values, one pair per server secret (create at start or per request). */
export interface FederationKeys {
  readonly seal: Buffer;
  readonly derive: Buffer;
}

export function federationKeys(serverSecret: Uint8Array): FederationKeys {
  return {
    seal: Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'latch federation state', 32)),
    derive: Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'latch federation pkce nonce', 32)),
  };
}

/**
 * A new `state` (RFC 6749 §10.12): 16 random bytes and the interaction id, encrypted and authenticated (AES-256-GCM),
 * so the callback learns which interaction it continues and a changed state is recognised as such.
 */
export function newState(keys: FederationKeys, interactionId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, iv);
  const body = Buffer.concat([cipher.update(Buffer.concat([randomBytes(16), Buffer.from(interactionId, 'utf8')])), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The interaction id inside a state made by newState, or undefined for anything else. */
export function openState(keys: FederationKeys, state: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{40,400}$/.test(state)) return undefined;
  const raw = Buffer.from(state, 'base64url');
  if (raw.length < 12 + 17 + 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.seal, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    return plain.subarray(16).toString('utf8');
  } catch {
    return undefined;
  }
}

/** RFC 7636 §4.1: 43 characters of [A-Za-z0-9-_] (an HMAC-SHA256 of the state, base64url). */
export function pkceVerifier(keys: FederationKeys, state: string): string {
  return createHmac('sha256', keys.derive).update(`pkce:${state}`).digest('base64url');
}

/** OpenID Connect Core §3.1.2.1: the nonce ties the ID token to this sign-in (an HMAC of the state). */
export function nonceFor(keys: FederationKeys, state: string): string {
  return createHmac('sha256', keys.derive).update(`nonce:${state}`).digest('base64url');
}
