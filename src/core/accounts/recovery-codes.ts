/**
 * Recovery codes: ten single-use codes a person keeps on paper for the day their authenticator is lost. Shown once,
 * stored as digests only (like every bearer value); each is consumed atomically by one sign-in.
 */
import { randomInt } from 'node:crypto';
import type { RecoveryCodesRepository } from '../../storage/types.js';
import { digest } from '../tokens/hash.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford-like base32 without the letters people confuse (I, L, O, U). */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `XXXXX-XXXXX`: 50 random bits, enough for a code that is also throttled and used once. */
function newCode(): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[randomInt(alphabet.length)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** What a person typed, the way it was stored: upper case, without spaces or dashes, confusable letters mapped. */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const plain = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return /^[0-9A-HJKMNP-TV-Z]{10}$/.test(plain) ? plain : undefined;
}

/** Ten new codes for the person (replacing any old ones); returns them to be shown once. */
export async function regenerateRecoveryCodes(sub: string, codes: Pick<RecoveryCodesRepository, 'replace'>, now: number): Promise<string[]> {
  const shown = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await codes.replace(sub, shown.map((code) => digest(normalizeRecoveryCode(code) as string)), now);
  return shown;
}

/** True for exactly one use of an unused code of this person. */
export async function useRecoveryCode(sub: string, typed: string, codes: Pick<RecoveryCodesRepository, 'consume'>, now: number): Promise<boolean> {
  const normalized = normalizeRecoveryCode(typed);
  if (!normalized) return false;
  return codes.consume(sub, digest(normalized), now);
}
