import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newRefreshSuccessor, recomputeRefreshSuccessor } from './refresh-successor.js';
import { newTokenValue, tokenKey } from './token-key.js';

describe('refresh token successors', () => {
  const key = randomBytes(32);

  it('is a token value with the issue time, whose key is what the store keeps', () => {
    const presented = newTokenValue();
    const next = newRefreshSuccessor(key, presented);
    expect(next.value).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
    expect(next.key).toBe(tokenKey(next.value));
    expect(next.value).not.toBe(presented);
    expect(next.key).not.toContain(next.value.slice(9));
  });

  it('is recomputed from the presented token and the stored key, by any holder of the server key', () => {
    const presented = newTokenValue();
    const next = newRefreshSuccessor(key, presented);
    expect(recomputeRefreshSuccessor(Buffer.from(key), presented, next.key)).toBe(next.value);
  });

  it('is not recomputed with another key, from another token, or from a key without an issue time', () => {
    const presented = newTokenValue();
    const next = newRefreshSuccessor(key, presented);
    expect(recomputeRefreshSuccessor(randomBytes(32), presented, next.key)).toBeUndefined();
    expect(recomputeRefreshSuccessor(key, newTokenValue(), next.key)).toBeUndefined();
    expect(recomputeRefreshSuccessor(key, presented, next.key.slice(10))).toBeUndefined();
  });

  it('differs for different presented tokens', () => {
    expect(newRefreshSuccessor(key, newTokenValue()).value.slice(9)).not.toBe(newRefreshSuccessor(key, newTokenValue()).value.slice(9));
  });
});
