import { describe, expect, it } from 'vitest';
import { digest, matchesDigest, safeEqual } from './hash.js';

describe('matchesDigest', () => {
  const stored = digest('s3cret-value');

  it('accepts the value the digest was made from', () => {
    expect(matchesDigest('s3cret-value', stored)).toBe(true);
  });

  it('refuses any other value, including a prefix or an extension of it', () => {
    expect(matchesDigest('s3cret-valuE', stored)).toBe(false);
    expect(matchesDigest('s3cret-valu', stored)).toBe(false);
    expect(matchesDigest('s3cret-value ', stored)).toBe(false);
    expect(matchesDigest('', stored)).toBe(false);
  });

  it('refuses when the stored digest is not a SHA-256 digest', () => {
    expect(matchesDigest('s3cret-value', stored.slice(0, 20))).toBe(false);
    expect(matchesDigest('s3cret-value', '')).toBe(false);
    expect(matchesDigest('s3cret-value', 's3cret-value')).toBe(false);
  });
});

describe('safeEqual', () => {
  it('compares strings of any length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
