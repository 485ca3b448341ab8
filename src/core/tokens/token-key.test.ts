import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { newSortableId, newTokenValue, tokenKey } from './token-key.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe('token keys', () => {
  it('a new token value is the issue time in base 36 and 256 random bits', () => {
    const before = Date.now();
    const value = newTokenValue();
    expect(value).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
    expect(parseInt(value.slice(0, 9), 36)).toBeGreaterThanOrEqual(before);
    expect(newTokenValue().slice(9)).not.toBe(value.slice(9));
  });

  it('keys of values issued later sort after those issued earlier', async () => {
    const earlier = tokenKey(newTokenValue());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = tokenKey(newTokenValue());
    expect(earlier < later).toBe(true);
  });

  it('the key is the time prefix and the SHA-256 of the whole value, never the value', () => {
    const value = newTokenValue();
    expect(tokenKey(value)).toBe(`${value.slice(0, 9)}.${sha256(value)}`);
    expect(tokenKey(value)).not.toContain(value.slice(9));
    expect(tokenKey(value)).toBe(tokenKey(value));
  });

  it('values without a time prefix (earlier tokens, made-up values) get the plain digest', () => {
    for (const value of ['', 'x', 'A'.repeat(43), `ZZZZZZZZZ${'a'.repeat(43)}`, `${'a'.repeat(9)}${'b'.repeat(44)}`, 'a.b.c']) {
      expect(tokenKey(value)).toBe(sha256(value));
    }
  });

  it('a JWT is keyed by the time prefix of its jti, when the jti is a sortable id', async () => {
    const key = new TextEncoder().encode('k'.repeat(32));
    const jti = newSortableId();
    expect(jti).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{22}$/);
    const jwt = await new SignJWT({ jti }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(tokenKey(jwt)).toBe(`${jti.slice(0, 9)}.${sha256(jwt)}`);
    // The issuer, which knows the jti, gets the same key without decoding.
    expect(tokenKey(jwt, jti)).toBe(tokenKey(jwt));
    const other = await new SignJWT({ jti: 'not-sortable' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(tokenKey(other)).toBe(sha256(other));
    const garbage = `${jwt.split('.')[0]}.bm90IGpzb24.${jwt.split('.')[2]}`;
    expect(tokenKey(garbage)).toBe(sha256(garbage));
  });
});
