import { randomBytes } from 'node:crypto';
// A const enum: inlined by the compiler, so this import does not load the module.
import { Algorithm, Version } from '@node-rs/argon2';

/**
 * Loaded on the first password operation, not at start: the native module took about 6 MB of a started server's
 * idle resident memory (98.6-101 -> 94.4 MB), and a server that only issues tokens to machines, or answers with
 * a live session, never needs it.
 */
let argon2: Promise<typeof import('@node-rs/argon2')> | undefined;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1; a 32-byte hash (RFC 9106 §4's tag length). */
export const passwordHashOptions = {
  algorithm: Algorithm.Argon2id,
  version: Version.V0x13,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const;

/** RFC 9106 §3.1: a 16-byte salt (what @node-rs/argon2 generates for every hash). */
export const PASSWORD_SALT_LENGTH = 16;

/** Longer inputs are refused before hashing, so a huge password cannot cost the server more. */
export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string): Promise<string> {
  if (password.length > MAX_PASSWORD_LENGTH) throw new RangeError(`password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  const { hash } = await loadArgon2();
  return hash(password, passwordHashOptions);
}

/** True when `password` matches the argon2 PHC string `passwordHash`; false on a mismatch or a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) {
    await dummyVerify(password.slice(0, MAX_PASSWORD_LENGTH));
    return false;
  }
  const { verify } = await loadArgon2();
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one password verification and returns false: call it when the user is unknown
 * (or has no password) so that the response time does not reveal which accounts exist.
 */
export async function dummyVerify(password = ''): Promise<false> {
  const { hash, verify } = await loadArgon2();
  dummyHash ??= hash(randomBytes(24).toString('base64url'), passwordHashOptions);
  try {
    await verify(await dummyHash, password);
  } catch {
    // the outcome is irrelevant: only the time spent matters
  }
  return false;
}

/**
 * True when the hash was made with other parameters than today's (algorithm, version, memory, iterations,
 * parallelism, hash or salt length), or cannot be read: rehash it after a successful sign-in.
 */
export async function needsRehash(passwordHash: string): Promise<boolean> {
  const { parseOptions } = await loadArgon2();
  try {
    const current = parseOptions(passwordHash);
    return (
      current.algorithm !== passwordHashOptions.algorithm ||
      current.version !== passwordHashOptions.version ||
      current.memoryCost !== passwordHashOptions.memoryCost ||
      current.timeCost !== passwordHashOptions.timeCost ||
      current.parallelism !== passwordHashOptions.parallelism ||
      current.outputLen !== passwordHashOptions.outputLen ||
      current.saltLen !== PASSWORD_SALT_LENGTH
    );
  } catch {
    return true;
  }
}
