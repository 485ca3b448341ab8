/**
 * Email verification (issue 13): the link mailed after sign-up marks the address verified; the link mailed to a new
 * address (account page) moves the account to it. Both consume their single-use token (account-tokens.ts).
 */
import { StorageConflictError, type AccountTokensRepository, type UserRecord, type UsersRepository } from '../../storage/types.js';
import { redeemAccountToken } from './account-tokens.js';
import type { SignupPolicy } from './signup.js';

/**
 * With LATCH_SIGNUP_VERIFY on, an account made through the sign-up form cannot sign in before its address is
 * verified: anyone can type any address into a sign-up form, and the account must not be usable before its owner has
 * the mail. Accounts an operator made are not held back (opening sign-up must not lock them out); turning
 * verification off releases the ones still waiting.
 */
export function mustVerifyBeforeSignIn(policy: Pick<SignupPolicy, 'signupVerify'>, user: Pick<UserRecord, 'emailVerified' | 'verificationRequired'>): boolean {
  return policy.signupVerify && user.verificationRequired === true && !user.emailVerified;
}

export interface VerificationDeps {
  accountTokens: Pick<AccountTokensRepository, 'consume'>;
  users: Pick<UsersRepository, 'findBySub' | 'findByEmail' | 'update'>;
}

export type VerificationOutcome =
  | { kind: 'verified'; user: UserRecord; changed: boolean; previousEmail: string }
  | { kind: 'invalid' }
  /** A change of address whose new address has meanwhile become another account's. */
  | { kind: 'taken' };

/** Follows a verification link: an address verified (sign-up) or an account moved to its new address. */
export async function verifyEmailLink(deps: VerificationDeps, token: unknown, now: number): Promise<VerificationOutcome> {
  const record = (await redeemAccountToken(deps.accountTokens, token, 'verify_email', now)) ?? (await redeemAccountToken(deps.accountTokens, token, 'change_email', now));
  if (!record) return { kind: 'invalid' };
  const user = await deps.users.findBySub(record.sub);
  if (!user) return { kind: 'invalid' };
  if (record.kind === 'verify_email') {
    // The link verifies the address it was sent to, only while it is still the account's.
    if (user.email !== record.email) return { kind: 'invalid' };
    if (!user.emailVerified) await deps.users.update(user.sub, { emailVerified: true, updatedAt: now });
    return { kind: 'verified', user: { ...user, emailVerified: true }, changed: false, previousEmail: user.email };
  }
  const other = await deps.users.findByEmail(record.email);
  if (other && other.sub !== user.sub) return { kind: 'taken' };
  try {
    await deps.users.update(user.sub, { email: record.email, emailVerified: true, updatedAt: now });
  } catch (err) {
    if (err instanceof StorageConflictError) return { kind: 'taken' };
    throw err;
  }
  return { kind: 'verified', user: { ...user, email: record.email, emailVerified: true }, changed: true, previousEmail: user.email };
}
