import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR, ACR_PWD } from './acr.js';
import { requiredAcr } from './mfa-policy.js';
import { amrAfterSecondFactor, planSecondFactor } from './second-factor.js';

describe('requiredAcr', () => {
  it('is one factor unless the operator, the client or the request asks for more', () => {
    expect(requiredAcr({ global: 'off' })).toBe(ACR_PWD);
    expect(requiredAcr({ global: 'required' })).toBe(ACR_MFA);
    expect(requiredAcr({ global: 'off', defaultAcrValues: [ACR_MFA] })).toBe(ACR_MFA);
    expect(requiredAcr({ global: 'off', acrValues: ACR_MFA })).toBe(ACR_MFA);
  });

  it('takes the highest of the three, and within acr_values the least demanding known value (any satisfies the client)', () => {
    expect(requiredAcr({ global: 'required', acrValues: ACR_PWD })).toBe(ACR_MFA);
    expect(requiredAcr({ global: 'off', defaultAcrValues: [ACR_PHR], acrValues: ACR_MFA })).toBe(ACR_PHR);
    expect(requiredAcr({ global: 'off', acrValues: `${ACR_PHR} ${ACR_MFA}` })).toBe(ACR_MFA);
    expect(requiredAcr({ global: 'off', acrValues: 'urn:unknown:gold 0' })).toBe(ACR_PWD);
  });
});

describe('planSecondFactor', () => {
  it('asks for what the person has, recovery codes only with another factor or alone', () => {
    expect(planSecondFactor({ totp: true, passkeys: 1, recoveryCodes: 3 }, ACR_MFA)).toEqual({ kind: 'ask', methods: ['totp', 'passkey', 'recovery'] });
    expect(planSecondFactor({ totp: false, passkeys: 0, recoveryCodes: 2 }, ACR_MFA)).toEqual({ kind: 'ask', methods: ['recovery'] });
    expect(planSecondFactor({ totp: false, passkeys: 0, recoveryCodes: 0 }, ACR_MFA)).toEqual({ kind: 'enrol', methods: ['passkey', 'totp'] });
  });

  it('for phr only a passkey: enrol one when the person has none, even with an authenticator app', () => {
    expect(planSecondFactor({ totp: true, passkeys: 0, recoveryCodes: 10 }, ACR_PHR)).toEqual({ kind: 'enrol', methods: ['passkey'] });
    expect(planSecondFactor({ totp: true, passkeys: 2, recoveryCodes: 10 }, ACR_PHR)).toEqual({ kind: 'ask', methods: ['passkey'] });
  });

  it('states every method used and mfa (RFC 8176)', () => {
    expect(amrAfterSecondFactor(['pwd'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrAfterSecondFactor(['pwd'], ['hwk', 'user'])).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    expect(amrAfterSecondFactor(['pwd', 'otp', 'mfa'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
  });
});
