import { describe, expect, it } from 'vitest';
import { acrToState, claimsData, claimsRequestOf, essentialAcrValues, parseClaimsParameter, requestedSub } from './claims-request.js';

describe('parseClaimsParameter (OIDC Core §5.5)', () => {
  it('keeps id_token and userinfo, ignores other members and unknown members of a claim request', () => {
    const parsed = parseClaimsParameter(
      JSON.stringify({ id_token: { email: null, acr: { essential: true, values: ['a'], extra: 1 } }, userinfo: { name: { value: 'x' } }, other: {} }),
    );
    expect(parsed).toEqual({ id_token: { email: null, acr: { essential: true, values: ['a'] } }, userinfo: { name: { value: 'x' } } });
    expect(parseClaimsParameter(undefined)).toBeUndefined();
    expect(parseClaimsParameter('{}')).toEqual({});
  });

  it.each([
    ['{', /not valid JSON/],
    ['null', /JSON object/],
    ['[1]', /JSON object/],
    ['{"id_token":[]}', /claims\.id_token/],
    ['{"userinfo":{"email":true}}', /claims\.userinfo\.email/],
    ['{"id_token":{"email":{"essential":1}}}', /essential/],
    ['{"id_token":{"acr":{"values":"x"}}}', /values/],
  ])('refuses %s with invalid_request, redirectable', (raw, message) => {
    try {
      parseClaimsParameter(raw);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_request', redirectable: true });
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('what a code or token keeps', () => {
  it('round-trips through data, and anything malformed reads as none', () => {
    const claims = { id_token: { email: null } };
    expect(claimsRequestOf(claimsData(claims))).toEqual(claims);
    expect(claimsData({})).toEqual({});
    expect(claimsRequestOf({ claims: 'x' })).toBeUndefined();
    expect(claimsRequestOf({})).toBeUndefined();
  });
});

describe('acr and sub requests', () => {
  it('essential acr values bind; voluntary ones do not', () => {
    expect(essentialAcrValues({ id_token: { acr: { essential: true, values: ['urn:latch:acr:mfa'] } } })).toEqual(['urn:latch:acr:mfa']);
    expect(essentialAcrValues({ id_token: { acr: { essential: true, value: 'phr' } } })).toEqual(['phr']);
    expect(essentialAcrValues({ id_token: { acr: { values: ['urn:latch:acr:mfa'] } } })).toEqual([]);
  });

  it('states the most demanding requested acr the sign-in reaches, else the level reached', () => {
    const passkey = ['hwk', 'user'];
    expect(acrToState(passkey, { id_token: { acr: { values: ['urn:latch:acr:pwd', 'urn:latch:acr:mfa'] } } })).toBe('urn:latch:acr:mfa');
    expect(acrToState(['pwd'], { id_token: { acr: { values: ['urn:latch:acr:mfa'] } } })).toBe('urn:latch:acr:pwd');
    expect(acrToState(passkey, undefined)).toBe('phr');
  });

  it('reads sub requested with a string value only', () => {
    expect(requestedSub({ id_token: { sub: { value: 'abc' } } })).toBe('abc');
    expect(requestedSub({ id_token: { sub: { value: 1 } } })).toBeUndefined();
    expect(requestedSub({ userinfo: { sub: { value: 'abc' } } })).toBeUndefined();
  });
});
