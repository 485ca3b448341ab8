import { describe, expect, it } from 'vitest';
import { defaultResponseMode, responseTypes } from './response-types.js';

describe('response types', () => {
  it('pairs each response type with the grant types a client needs (RFC 7591 §2.1)', () => {
    expect(Object.fromEntries([...responseTypes].map(([name, t]) => [name, t.grantTypes]))).toEqual({
      code: ['authorization_code'],
      id_token: ['implicit'],
      'id_token token': ['implicit'],
      'code id_token': ['authorization_code', 'implicit'],
      'code token': ['authorization_code', 'implicit'],
      'code id_token token': ['authorization_code', 'implicit'],
    });
  });

  it('requires nonce and openid exactly when an ID token comes from the authorization endpoint', () => {
    for (const [name, t] of responseTypes) {
      const idToken = name.split(' ').includes('id_token');
      expect(t.requiresNonce, name).toBe(idToken);
      expect(t.requiresOpenId, name).toBe(idToken);
      expect(t.returnsTokens, name).toBe(name !== 'code');
    }
  });

  it('defaults to query for code and fragment whenever tokens are returned', () => {
    expect(defaultResponseMode('code')).toBe('query');
    for (const name of ['id_token', 'token id_token', 'code id_token', 'code token', 'code id_token token']) {
      expect(defaultResponseMode(name), name).toBe('fragment');
    }
  });
});
