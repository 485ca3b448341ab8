import { createHmac } from 'node:crypto';
import { keyIssueTimePrefix, newTokenValueWith, tokenKey } from './token-key.js';

/**
 * The refresh token a rotation issues is derived from the presented one with a server key (HMAC-SHA256), so that
 * a replay inside the reuse interval can be answered with the same successor by any instance, while the store
 * keeps only digests: the successor's value is never stored, only its key (on the rotated token's row).
 */
export interface RefreshSuccessor {
  value: string;
  key: string;
}

function secretPart(successorKey: Buffer, presented: string): string {
  return createHmac('sha256', successorKey).update(presented).digest('base64url');
}

/** The successor of `presented` for a rotation now. */
export function newRefreshSuccessor(successorKey: Buffer, presented: string): RefreshSuccessor {
  const value = newTokenValueWith(secretPart(successorKey, presented));
  return { value, key: tokenKey(value) };
}

/**
 * The successor `presented` was rotated into, recomputed from its stored key; undefined when this server's key
 * does not give that key (a token rotated by a server with another secret).
 */
export function recomputeRefreshSuccessor(successorKey: Buffer, presented: string, storedKey: string): string | undefined {
  const prefix = keyIssueTimePrefix(storedKey);
  if (prefix === undefined) return undefined;
  const value = newTokenValueWith(secretPart(successorKey, presented), prefix);
  return tokenKey(value) === storedKey ? value : undefined;
}
