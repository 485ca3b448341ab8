/**
 * Time-based one-time passwords (RFC 6238) through `otpauth`: SHA-1, 6 digits, 30-second steps, as every
 * authenticator app reads them from an otpauth:// URI. The secret is sealed at rest with the server secret (compact
 * JWE, `dir` + `A256GCM`, like signing keys: keys/encryption.ts); a code is accepted for one time step once.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type { TotpSecretRecord, TotpSecretsRepository } from '../../storage/types.js';

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** RFC 6238 §5.2: accept one step before and after the current one, for clock drift and the time it takes to type. */
export const TOTP_WINDOW = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function sealTotpSecret(base32: string, key: Uint8Array): Promise<string> {
  return new CompactEncrypt(encoder.encode(base32)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'totp' }).encrypt(key);
}

export async function openTotpSecret(sealed: string, key: Uint8Array): Promise<string> {
  const { plaintext } = await compactDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
  return decoder.decode(plaintext);
}

/** A new random secret (160 bits, RFC 4226 §4's recommended length), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(base32: string, issuer = 'Latch', label = 'account'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD, secret: Secret.fromBase32(base32) });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(base32: string, issuer: string, label: string): string {
  return totpOf(base32, issuer, label).toString();
}

/** Six digits, spaces allowed (as apps show them: "123 456"). */
export function normalizeTotpCode(code: string): string | undefined {
  const digits = code.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

/** The time step (RFC 6238 T) `code` is valid for at `now` within the window, if any. */
export function matchingStep(base32: string, code: string, now: number): number | undefined {
  const token = normalizeTotpCode(code);
  if (!token) return undefined;
  const delta = totpOf(base32).validate({ token, timestamp: now * 1000, window: TOTP_WINDOW });
  return delta === null ? undefined : Math.floor(now / TOTP_PERIOD) + delta;
}

export type TotpCheck = 'accepted' | 'invalid' | 'reused';

/**
 * Checks a code against the person's secret: `confirm` for the first code of a pending enrolment, else for a sign-in
 * with a confirmed one. RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP after the
 * successful validation has been issued for the first OTP": the store accepts a step only if it is later than the
 * last one accepted, atomically.
 */
export async function checkTotp(
  record: TotpSecretRecord,
  code: string,
  deps: { totpSecrets: Pick<TotpSecretsRepository, 'acceptStep'>; key: Uint8Array; now: number },
  confirm: boolean,
): Promise<TotpCheck> {
  if (confirm !== (record.confirmedAt === null)) return 'invalid';
  const step = matchingStep(await openTotpSecret(record.secretSealed, deps.key), code, deps.now);
  if (step === undefined) return 'invalid';
  if (record.lastStep !== null && step <= record.lastStep) return 'reused';
  return (await deps.totpSecrets.acceptStep(record.sub, step, deps.now, confirm)) ? 'accepted' : 'reused';
}
