import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR, ACR_PWD, acrFor, amrWithMfa, isAcrValue, satisfiesAcr } from './acr.js';

describe('acr from amr', () => {
  it('one factor is pwd, two distinct kinds are mfa, a verified passkey is phishing-resistant', () => {
    expect(acrFor(['pwd'])).toBe(ACR_PWD);
    expect(acrFor(['fed'])).toBe(ACR_PWD);
    expect(acrFor(['otp'])).toBe(ACR_PWD);
    expect(acrFor(['pwd', 'otp'])).toBe(ACR_MFA);
    expect(acrFor(['fed', 'otp'])).toBe(ACR_MFA);
    expect(acrFor(['pwd', 'mfa'])).toBe(ACR_MFA);
    expect(acrFor(['hwk', 'user'])).toBe(ACR_PHR);
    expect(acrFor(['swk', 'user'])).toBe(ACR_PHR);
    // A key without user verification is only something held: with a password, two factors, not phishing-resistant.
    expect(acrFor(['pwd', 'hwk'])).toBe(ACR_MFA);
  });

  it('adds mfa to amr only when two factors were used', () => {
    expect(amrWithMfa(['pwd'])).toEqual(['pwd']);
    expect(amrWithMfa(['pwd', 'otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrWithMfa(['hwk', 'user', 'mfa'])).toEqual(['hwk', 'user', 'mfa']);
    expect(amrWithMfa(['pwd', 'pwd'])).toEqual(['pwd']);
  });

  it('orders the levels: a higher one satisfies a lower one, never the reverse', () => {
    expect(satisfiesAcr(ACR_PHR, ACR_MFA)).toBe(true);
    expect(satisfiesAcr(ACR_MFA, ACR_PWD)).toBe(true);
    expect(satisfiesAcr(ACR_PWD, ACR_MFA)).toBe(false);
    expect(satisfiesAcr(ACR_MFA, ACR_PHR)).toBe(false);
    expect(isAcrValue('urn:latch:acr:mfa')).toBe(true);
    expect(isAcrValue('urn:other')).toBe(false);
    expect(isAcrValue('__proto__')).toBe(false);
  });
});
