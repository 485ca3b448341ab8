import { describe, expect, it } from 'vitest';
import { formatUserCode, generateUserCode, normalizeUserCode, userCodeAlphabet } from './user-code.js';

describe('generateUserCode', () => {
  it('makes XXXX-XXXX codes from the RFC 8628 §6.1 base-20 alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(code).not.toMatch(/[AEIOUY0-9]/);
    }
  });

  it('uses every character of the alphabet and repeats no code in a thousand', () => {
    const codes = Array.from({ length: 1000 }, generateUserCode);
    expect(new Set(codes).size).toBe(codes.length);
    const seen = new Set(codes.join('').replace(/-/g, ''));
    expect([...seen].sort().join('')).toBe(userCodeAlphabet);
  });

  it('spreads characters evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      for (const c of generateUserCode().replace('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    // 16 000 characters, 800 expected each; a biased generator (256 % 20) would favour the first 16 by 1/16.
    for (const n of counts.values()) expect(n).toBeGreaterThan(650);
    for (const n of counts.values()) expect(n).toBeLessThan(950);
  });
});

describe('normalizeUserCode', () => {
  it('accepts the code as shown, in lower case, without the dash, and with spaces', () => {
    expect(normalizeUserCode('WDJB-MJHT')).toBe('WDJBMJHT');
    expect(normalizeUserCode('wdjb-mjht')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WdJbMjHt')).toBe('WDJBMJHT');
    expect(normalizeUserCode(' wdjb mjht ')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WDJB--MJHT')).toBe('WDJBMJHT');
  });

  it('refuses characters outside the alphabet, and wrong lengths', () => {
    expect(normalizeUserCode('WDJB-MJHA')).toBeUndefined(); // vowel
    expect(normalizeUserCode('WDJB-MJH0')).toBeUndefined(); // digit
    expect(normalizeUserCode('WDJB_MJHT')).toBeUndefined(); // other punctuation
    expect(normalizeUserCode('WDJB-MJH')).toBeUndefined();
    expect(normalizeUserCode('WDJB-MJHTB')).toBeUndefined();
    expect(normalizeUserCode('')).toBeUndefined();
    expect(normalizeUserCode('-'.repeat(100) + 'WDJBMJHT')).toBeUndefined();
  });
});

describe('formatUserCode', () => {
  it('puts the dash back', () => {
    expect(formatUserCode('WDJBMJHT')).toBe('WDJB-MJHT');
    expect(formatUserCode(normalizeUserCode(generateUserCode())!)).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
  });
});
