/**
 * The secrets of federation, all derived from the server secret (LATCH_SECRET / secret.key), so that nothing secret
 * is stored: the connection's client secret is sealed (compact JWE, `dir` + `A256GCM`, like signing keys), the
 * `state` sent upstream carries the interaction id encrypted, and the PKCE verifier and the nonce are an HMAC of the
 * state (recomputed at the callback, never stored).
 */
import { createHmac, hkdfSync } from 'node:crypto';
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
 * A new `state` (RFC 6749 §10.12): the interaction id in a compact JWE (`dir` + `A256GCM`, by jose) under a key of its
 * own, so the callback learns which interaction it continues and a changed state is recognised as such. Its random
 * IV makes every state distinct, and so the verifier and nonce derived from it.
 */
export function newState(keys: FederationKeys, interactionId: string): Promise<string> {
  return new CompactEncrypt(encoder.encode(interactionId)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'latch-federation-state' }).encrypt(keys.seal);
}

/** The interaction id inside a state made by newState, or undefined for anything else. */
export async function openState(keys: FederationKeys, state: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_.-]{40,600}$/.test(state)) return undefined;
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(state, keys.seal, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return protectedHeader.cty === 'latch-federation-state' ? decoder.decode(plaintext) : undefined;
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
