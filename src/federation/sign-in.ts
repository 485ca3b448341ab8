/**
 * Who an upstream identity is at Latch. Known identity: its user. Unknown, and no user has its email: a new user,
 * just in time. Unknown, and a user has that email: linked only when the upstream says the email is verified AND the
 * person proves they own the account (signs in to it once, see `link`); never linked silently (an upstream that
 * lets anyone claim any address must not open someone else's account).
 */
import { createUser } from '../admin/users.js';
import type { PasswordPolicy } from '../core/accounts/password-policy.js';
import { recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type ConnectionRecord, type Store, type UserRecord } from '../storage/types.js';
import type { UpstreamProfile } from './claims.js';

export type UpstreamOutcome =
  /** Signed in as `user`; `created`: just now, from the upstream's claims. */
  | { kind: 'user'; user: UserRecord; created: boolean }
  /** A user has the upstream's verified email: the person must sign in to it to link. */
  | { kind: 'link'; user: UserRecord }
  /** A user has the upstream's email, which the upstream does not say is verified: no linking. */
  | { kind: 'unverified'; user: UserRecord }
  /** No identity and no usable email to create a user with. */
  | { kind: 'no_email' }
  /** The user of this identity is disabled. */
  | { kind: 'disabled'; user: UserRecord };

export interface SignInDeps {
  store: Pick<Store, 'users' | 'identities' | 'events'>;
  passwords: PasswordPolicy;
}

export async function resolveUpstream(deps: SignInDeps, connection: ConnectionRecord, profile: UpstreamProfile, now: number, by: Actor): Promise<UpstreamOutcome> {
  const { store } = deps;
  const known = await store.identities.find(connection.id, profile.sub);
  if (known) {
    const user = await store.users.findBySub(known.sub);
    if (user) {
      if (user.disabledAt !== null) return { kind: 'disabled', user };
      await store.identities.touch(connection.id, profile.sub, now);
      return { kind: 'user', user, created: false };
    }
  }
  if (profile.email === null) return { kind: 'no_email' };
  const existing = await store.users.findByEmail(profile.email);
  if (existing) return profile.emailVerified ? { kind: 'link', user: existing } : { kind: 'unverified', user: existing };
  let user: UserRecord;
  try {
    const extra = Object.fromEntries((['given_name', 'family_name', 'picture'] as const).filter((k) => profile[k] !== undefined).map((k) => [k, profile[k]]));
    user = await createUser(store, deps.passwords, { email: profile.email, emailVerified: profile.emailVerified, ...(profile.name ? { name: profile.name } : {}), profile: extra }, now, by);
  } catch (err) {
    // A user with this email created meanwhile (another tab): the same rule as above, on the next attempt.
    if ((err as { field?: string }).field === 'email') {
      const raced = await store.users.findByEmail(profile.email);
      if (raced) return profile.emailVerified ? { kind: 'link', user: raced } : { kind: 'unverified', user: raced };
      return { kind: 'no_email' };
    }
    throw err;
  }
  await linkIdentity(deps, connection, profile, user, now, by);
  return { kind: 'user', user, created: true };
}

/** Links the upstream identity to `user` (recorded as identity.linked); false when it is linked already. */
export async function linkIdentity(
  deps: Pick<SignInDeps, 'store'>,
  connection: Pick<ConnectionRecord, 'id'>,
  profile: Pick<UpstreamProfile, 'sub' | 'email'>,
  user: Pick<UserRecord, 'sub'>,
  now: number,
  by: Actor,
): Promise<boolean> {
  try {
    await deps.store.identities.create({ connectionId: connection.id, upstreamSub: profile.sub, sub: user.sub, email: profile.email, createdAt: now, lastUsedAt: now });
  } catch (err) {
    if (err instanceof StorageConflictError) return false;
    throw err;
  }
  await recordEvent(deps.store, { type: 'identity.linked', by, sub: user.sub, data: { connection: connection.id, upstream_sub: profile.sub } }, now);
  return true;
}
