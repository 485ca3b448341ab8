import { passwordProblem, type PasswordPolicy } from '../core/accounts/password-policy.js';
import type { BackchannelLogout } from '../core/oidc/backchannel-logout.js';
import { hashPassword } from '../core/passwords.js';
import { recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type PageQuery, type Page, type Store, type UserProfile, type UserRecord } from '../storage/types.js';
import { ADMIN_ROLE, ADMIN_SCOPES } from './builtins.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { randomId } from './random-id.js';
import { applyProfilePatch, checkEmailVerified, checkProfile, type UpdateUserInput } from './user-claims.js';

export { AdminInputError, AdminNotFoundError } from './errors.js';
export type { UpdateUserInput } from './user-claims.js';

/** Role names: lower-case letters, digits, `_` and `-`. */
export const ROLE_NAME = /^[a-z0-9_-]{1,64}$/;

export interface CreateUserInput {
  email: string;
  name?: string;
  password?: string;
  emailVerified?: boolean;
  /** Sign-up only: the account waits for its address to be verified before it can sign in. */
  verificationRequired?: boolean;
  profile?: UserProfile;
  /** Role names (lower-case letters, digits, _ and -), e.g. `admin`. */
  roles?: string[];
}

type UsersStore = Pick<Store, 'users' | 'events'>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

// Pragmatic address check (WHATWG "valid e-mail address", HTML §4.10.5.1.5), not full RFC 5322.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function normalizeEmail(email: string): string {
  if (typeof email !== 'string') throw new AdminInputError('email', 'must be a string');
  const value = email.trim().toLowerCase();
  if (value === '') throw new AdminInputError('email', 'is required');
  if (value.length > 254 || !EMAIL.test(value)) throw new AdminInputError('email', `"${email}" is not a valid email address`);
  return value;
}

export function checkRole(role: string, field = 'role'): string {
  if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
    throw new AdminInputError(field, `"${String(role)}" is not a role name (lower-case letters, digits, _ and -, at most 64)`);
  }
  return role;
}

/** Every way of setting a password goes through here: the policy (core/accounts/password-policy.ts), field `password`. */
export function checkPassword(policy: PasswordPolicy, password: string): void {
  const problem = passwordProblem(policy, password);
  if (problem !== undefined) throw new AdminInputError('password', problem);
}

export async function createUser(
  store: UsersStore,
  passwords: PasswordPolicy,
  input: CreateUserInput & { roles?: string[] },
  now = nowSeconds(),
  by?: Actor,
): Promise<UserRecord> {
  const email = normalizeEmail(input.email);
  const profile: UserProfile = checkProfile({ ...input.profile });
  if (input.name !== undefined) {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name === '') throw new AdminInputError('name', 'must not be empty');
    profile.name = name;
  }
  const roles = [...new Set((input.roles ?? []).map((r) => checkRole(r, 'roles')))].sort();
  if (input.password !== undefined) checkPassword(passwords, input.password);
  if (await store.users.findByEmail(email)) throw new AdminInputError('email', `a user with email ${email} already exists`);

  const user: UserRecord = {
    sub: randomId(),
    email,
    emailVerified: input.emailVerified === undefined ? false : checkEmailVerified(input.emailVerified),
    verificationRequired: input.verificationRequired === true,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    profile,
    roles,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await store.users.create(user);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new AdminInputError('email', `a user with email ${email} already exists`);
    throw err;
  }
  await recordEvent(store, { type: 'user.created', by, sub: user.sub, data: { roles } }, now);
  return user;
}

/** Finds a user by `sub`, or by email when the argument looks like one. */
export async function findUser(store: Pick<Store, 'users'>, subOrEmail: string): Promise<UserRecord | undefined> {
  return (
    (await store.users.findBySub(subOrEmail)) ??
    (subOrEmail.includes('@') ? await store.users.findByEmail(subOrEmail.trim().toLowerCase()) : undefined)
  );
}

export async function getUser(store: Pick<Store, 'users'>, sub: string): Promise<UserRecord> {
  const user = await store.users.findBySub(sub);
  if (!user) throw new AdminNotFoundError('user', sub);
  return user;
}

/** Oldest first; `q` searches email, sub and name. */
export function listUsers(store: Pick<Store, 'users'>, query: PageQuery): Promise<Page<UserRecord>> {
  return store.users.page(query);
}

async function save(store: UsersStore, user: UserRecord, patch: Parameters<Store['users']['update']>[1]): Promise<UserRecord> {
  if (!(await store.users.update(user.sub, patch))) throw new AdminNotFoundError('user', user.sub);
  const { updatedAt, ...rest } = patch;
  return { ...user, ...rest, updatedAt } as UserRecord;
}

/**
 * Edits email, email_verified and the profile claims (OIDC Core §5.1 names; null removes a claim). A new email is
 * unverified unless the same patch says `email_verified: true`. Nothing changes when a claim is wrong.
 */
export async function updateUser(store: UsersStore, sub: string, patch: UpdateUserInput, by?: Actor, now = nowSeconds()): Promise<UserRecord> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new AdminInputError('body', 'must be an object');
  const user = await getUser(store, sub);
  const { profile, changed } = applyProfilePatch(user.profile, patch as Record<string, unknown>);
  const update: Parameters<Store['users']['update']>[1] = { updatedAt: now };
  if (patch.email !== undefined) {
    if (patch.email === null) throw new AdminInputError('email', 'is required and cannot be removed');
    const email = normalizeEmail(patch.email);
    if (email !== user.email) {
      const other = await store.users.findByEmail(email);
      if (other && other.sub !== user.sub) throw new AdminInputError('email', `a user with email ${email} already exists`);
      update.email = email;
      update.emailVerified = false;
      changed.push('email');
    }
  }
  if (patch.email_verified !== undefined) update.emailVerified = checkEmailVerified(patch.email_verified);
  if (update.emailVerified !== undefined && update.emailVerified !== user.emailVerified) changed.push('email_verified');
  if (changed.length === 0) return user;
  if (changed.some((c) => c !== 'email' && c !== 'email_verified')) update.profile = profile;
  let saved: UserRecord;
  try {
    saved = await save(store, user, update);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new AdminInputError('email', `a user with email ${update.email} already exists`);
    throw err;
  }
  await recordEvent(store, { type: 'user.updated', by, sub, data: { claims: changed.sort() } }, now);
  return saved;
}

export async function setPassword(
  store: UsersStore,
  passwords: PasswordPolicy,
  subOrEmail: string,
  password: string,
  now = nowSeconds(),
  by?: Actor,
): Promise<UserRecord> {
  checkPassword(passwords, password);
  const user = await findUser(store, subOrEmail);
  if (!user) throw new AdminNotFoundError('user', subOrEmail);
  const passwordHash = await hashPassword(password);
  const saved = await save(store, user, { passwordHash, updatedAt: now });
  await recordEvent(store, { type: 'user.password_set', by, sub: user.sub }, now);
  return saved;
}

type EffectsStore = Pick<Store, 'users' | 'events' | 'grants' | 'sessions'>;

/**
 * Disables the user: they cannot sign in, every grant of theirs is revoked with its tokens (so refresh tokens and
 * opaque access tokens stop working and introspection calls their JWT access tokens inactive), their sessions end
 * and their clients with a backchannel_logout_uri get a logout token (through `logout`, in the background).
 * Disabling a disabled user changes nothing.
 */
export async function disableUser(store: EffectsStore, sub: string, by?: Actor, now = nowSeconds(), logout?: BackchannelLogout): Promise<UserRecord> {
  const user = await getUser(store, sub);
  if (user.disabledAt !== null) return user;
  const notices = logout ? await logout.plan(await personEnding(store, sub, now)) : [];
  // First the flag, so that a token request racing with this one is refused by the core's checks.
  const saved = await save(store, user, { disabledAt: now, updatedAt: now });
  const grantsRevoked = await store.grants.revokeBySub(sub, now);
  const sessionsEnded = await store.sessions.deleteBySub(sub);
  await recordEvent(store, { type: 'user.disabled', by, sub, data: { grants_revoked: grantsRevoked, sessions_ended: sessionsEnded } }, now);
  logout?.send(notices);
  return saved;
}

/** Every live session of the person, and the person as a whole (Back-Channel Logout: a token per client). */
async function personEnding(store: Pick<Store, 'sessions'>, sub: string, now: number): Promise<{ sub: string; sids: string[]; person: true }> {
  return { sub, sids: (await store.sessions.listBySub(sub, now)).map((s) => s.sid), person: true };
}

export async function enableUser(store: UsersStore, sub: string, by?: Actor, now = nowSeconds()): Promise<UserRecord> {
  const user = await getUser(store, sub);
  if (user.disabledAt === null) return user;
  const saved = await save(store, user, { disabledAt: null, updatedAt: now });
  await recordEvent(store, { type: 'user.enabled', by, sub }, now);
  return saved;
}

export async function grantRole(store: UsersStore, sub: string, role: string, by?: Actor, now = nowSeconds()): Promise<UserRecord> {
  checkRole(role);
  const user = await getUser(store, sub);
  if (user.roles.includes(role)) return user;
  const saved = await save(store, user, { roles: [...user.roles, role].sort(), updatedAt: now });
  await recordEvent(store, { type: 'user.role_granted', by, sub, data: { role } }, now);
  return saved;
}

/** Whether a grant's scope carries an admin scope (and so its tokens can call the admin API). */
export function hasAdminScope(scope: string): boolean {
  return scope.split(' ').some((s) => (ADMIN_SCOPES as readonly string[]).includes(s));
}

/**
 * Takes a role away. Taking `admin` away also revokes every grant of the person that carries an admin scope, with
 * its tokens, so that their admin tokens stop working at once.
 */
export async function revokeRole(store: EffectsStore, sub: string, role: string, by?: Actor, now = nowSeconds()): Promise<UserRecord> {
  checkRole(role);
  const user = await getUser(store, sub);
  if (!user.roles.includes(role)) return user;
  const saved = await save(store, user, { roles: user.roles.filter((r) => r !== role), updatedAt: now });
  let grantsRevoked = 0;
  if (role === ADMIN_ROLE) {
    for (const grant of await store.grants.listBySub(sub)) {
      if (grant.revokedAt === null && hasAdminScope(grant.scope) && (await store.grants.revoke(grant.grantId, now))) grantsRevoked += 1;
    }
  }
  await recordEvent(store, { type: 'user.role_revoked', by, sub, data: { role, grants_revoked: grantsRevoked } }, now);
  return saved;
}

/**
 * Deletes the user and everything issued to them; returns the deleted user. With `logout`, the clients of their
 * sessions and grants are told first-hand (a logout token each, sent once the user is gone).
 */
export async function deleteUser(
  store: Pick<Store, 'users' | 'events' | 'sessions'>,
  subOrEmail: string,
  by?: Actor,
  now = nowSeconds(),
  logout?: BackchannelLogout,
): Promise<UserRecord> {
  const user = await findUser(store, subOrEmail);
  // The grants go with the user: who to tell is known only before.
  const notices = user && logout ? await logout.plan(await personEnding(store, user.sub, now)) : [];
  if (!user || !(await store.users.delete(user.sub))) throw new AdminNotFoundError('user', subOrEmail);
  await recordEvent(store, { type: 'user.deleted', by, sub: user.sub }, now);
  logout?.send(notices);
  return user;
}

/** The operator's view of a user, in OIDC claim names; never the password hash. */
export function userToJson(user: UserRecord): Record<string, unknown> {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: user.emailVerified,
    ...user.profile,
    roles: user.roles ?? [],
    disabled: (user.disabledAt ?? null) !== null,
    disabled_at: user.disabledAt ?? null,
    has_password: user.passwordHash !== null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
