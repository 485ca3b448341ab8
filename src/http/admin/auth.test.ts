import { describe, expect, it } from 'vitest';
import { BearerError } from '../../resource-server/bearer-error.js';
import { bearerValue } from './auth.js';

describe('bearerValue (RFC 6750 §2.1)', () => {
  it('takes the token of "Bearer <b64token>", scheme in any case', () => {
    expect(bearerValue('Bearer abc.DEF-_~+/==')).toBe('abc.DEF-_~+/==');
    expect(bearerValue('bearer   abc')).toBe('abc');
  });

  it('no header or another scheme: no token at all (a bare challenge)', () => {
    expect(bearerValue(undefined)).toBeUndefined();
    expect(bearerValue('Basic YTpi')).toBeUndefined();
    expect(bearerValue('Bearerish abc')).toBeUndefined();
  });

  it('a malformed bearer header: invalid_request', () => {
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b']) {
      expect(() => bearerValue(header), header).toThrow(BearerError);
      try {
        bearerValue(header);
      } catch (err) {
        expect((err as BearerError).code).toBe('invalid_request');
      }
    }
  });
});
