import { randomBytes } from 'node:crypto';

/**
 * RFC 8628 §6.1: the base-20 character set "BCDFGHJKLMNPQRSTVWXZ": no vowels, so no words are spelled, and none of
 * the look-alikes (0/O, 1/I/l) that are hard to tell apart when copied from a TV screen.
 */
export const userCodeAlphabet = 'BCDFGHJKLMNPQRSTVWXZ';

/** RFC 8628 §6.1: 8 characters of base-20, about 34.5 bits of entropy, shown as XXXX-XXXX. */
export const userCodeLength = 8;

/** 240 is the largest multiple of 20 below 256: rejecting larger bytes keeps every character equally likely. */
const unbiasedLimit = 256 - (256 % userCodeAlphabet.length);

/** A new random user code, formatted for display: `WDJB-MJHT`. */
export function generateUserCode(): string {
  let code = '';
  while (code.length < userCodeLength) {
    for (const byte of randomBytes(userCodeLength * 2)) {
      if (byte < unbiasedLimit && code.length < userCodeLength) code += userCodeAlphabet[byte % userCodeAlphabet.length];
    }
  }
  return formatUserCode(code);
}

/**
 * RFC 8628 §6.1: user codes are compared case-insensitively, and the punctuation added for readability (the dash) is
 * optional for the person typing it; spaces are dropped too. Returns the canonical form (8 upper-case letters, no
 * dash), or undefined when the input cannot be a user code (any other character, or the wrong length).
 */
export function normalizeUserCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  const compact = input.toUpperCase().replace(/[\s-]+/g, '');
  if (compact.length !== userCodeLength) return undefined;
  for (const char of compact) {
    if (!userCodeAlphabet.includes(char)) return undefined;
  }
  return compact;
}

/** `WDJBMJHT` -> `WDJB-MJHT`; a value that is not a normalised code is returned unchanged. */
export function formatUserCode(normalized: string): string {
  if (normalized.length !== userCodeLength) return normalized;
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}
