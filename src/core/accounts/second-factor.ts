/**
 * The second step of a sign-in: which factors a person has, what to ask of them for the level a request needs
 * (core/accounts/mfa-policy.ts), and how they signed in after it (RFC 8176 amr).
 */
import type { Store } from '../../storage/types.js';
import { ACR_PHR, type AcrValue, amrWithMfa } from './acr.js';

export interface EnrolledFactors {
  /** A confirmed TOTP secret. */
  totp: boolean;
  passkeys: number;
  /** Unused recovery codes. */
  recoveryCodes: number;
}

export type FactorMethod = 'totp' | 'recovery' | 'passkey';
export type EnrolMethod = 'totp' | 'passkey';

/** Ask for one of `methods`, or (the person has none that reaches the level) have them enrol one of `methods` first. */
export type FactorPlan = { kind: 'ask'; methods: FactorMethod[] } | { kind: 'enrol'; methods: EnrolMethod[] };

export async function enrolledFactors(store: Pick<Store, 'totpSecrets' | 'passkeys' | 'recoveryCodes'>, sub: string): Promise<EnrolledFactors> {
  const [totp, passkeys, recoveryCodes] = await Promise.all([store.totpSecrets.find(sub), store.passkeys.listBySub(sub), store.recoveryCodes.remaining(sub)]);
  return { totp: totp?.confirmedAt != null, passkeys: passkeys.length, recoveryCodes };
}

export function planSecondFactor(factors: EnrolledFactors, required: AcrValue): FactorPlan {
  // OpenID EAP ACR Values: `phr` needs a phishing-resistant authenticator; a code typed from an app is not one.
  if (required === ACR_PHR) return factors.passkeys > 0 ? { kind: 'ask', methods: ['passkey'] } : { kind: 'enrol', methods: ['passkey'] };
  const methods: FactorMethod[] = [];
  if (factors.totp) methods.push('totp');
  if (factors.passkeys > 0) methods.push('passkey');
  if (factors.recoveryCodes > 0 && methods.length > 0) methods.push('recovery');
  // Recovery codes alone (their authenticator was removed) still let the person in, once per code.
  if (methods.length === 0 && factors.recoveryCodes > 0) return { kind: 'ask', methods: ['recovery'] };
  return methods.length > 0 ? { kind: 'ask', methods } : { kind: 'enrol', methods: ['passkey', 'totp'] };
}

/**
 * RFC 8176 §2: the methods of the first factor plus those the second proved (`otp` for a TOTP or recovery code,
 * `hwk`/`swk` and `user` for a passkey), and `mfa` when they are two factors.
 */
export function amrAfterSecondFactor(amr: readonly string[], proved: readonly string[]): string[] {
  return amrWithMfa([...amr, ...proved]);
}

/** What a TOTP code or a recovery code proves (RFC 8176 `otp`: a one-time password). */
export const OTP_METHODS: readonly string[] = ['otp'];
