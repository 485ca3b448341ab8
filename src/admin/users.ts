import { hashPassword, MAX_PASSWORD_LENGTH } from '../core/passwords.js';
import { StorageConflictError, type Store, type UserProfile, type UserRecord } from '../storage/types.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { randomId } from './random-id.js';

export { AdminInputError, AdminNotFoundError } from './errors.js';

export const MIN_PASSWORD_LENGTH = 8;

export interface CreateUserInput {
  email: string;
  name?: string;
  password?: string;
  emailVerified?: boolean;
  profile?: UserProfile;
  roles?: string[];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// Pragmatic address check (WHATWG "valid e-mail address", HTML §4.10.5.1.5), not full RFC 5322.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function normalizeEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (value === '') throw new AdminInputError('email', 'is required');
  if (value.length > 254 || !EMAIL.test(value)) throw new AdminInputError('email', `"${email}" is not a valid email address`);
  return value;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AdminInputError('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AdminInputError('password', `must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

export async function createUser(store: Store, input: CreateUserInput, now = nowSeconds()): Promise<UserRecord> {
  const email = normalizeEmail(input.email);
  const profile: UserProfile = { ...input.profile };
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name === '') throw new AdminInputError('name', 'must not be empty');
    profile.name = name;
  }
  if (input.password !== undefined) checkPassword(input.password);
  if (await store.users.findByEmail(email)) throw new AdminInputError('email', `a user with email ${email} already exists`);

  const user: UserRecord = {
    sub: randomId(),
    email,
    emailVerified: input.emailVerified ?? false,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    profile,
    roles: input.roles ?? [],
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
  return user;
}

/** Finds a user by `sub`, or by email when the argument looks like one. */
export async function findUser(store: Store, subOrEmail: string): Promise<UserRecord | undefined> {
  return (
    (await store.users.findBySub(subOrEmail)) ??
    (subOrEmail.includes('@') ? await store.users.findByEmail(subOrEmail.trim().toLowerCase()) : undefined)
  );
}

export async function setPassword(store: Store, subOrEmail: string, password: string, now = nowSeconds()): Promise<UserRecord> {
  checkPassword(password);
  const user = await findUser(store, subOrEmail);
  if (!user) throw new AdminNotFoundError('user', subOrEmail);
  const passwordHash = await hashPassword(password);
  if (!(await store.users.update(user.sub, { passwordHash, updatedAt: now }))) throw new AdminNotFoundError('user', subOrEmail);
  return { ...user, passwordHash, updatedAt: now };
}

/** Deletes the user and everything issued to them; returns the deleted user. */
export async function deleteUser(store: Store, subOrEmail: string): Promise<UserRecord> {
  const user = await findUser(store, subOrEmail);
  if (!user || !(await store.users.delete(user.sub))) throw new AdminNotFoundError('user', subOrEmail);
  return user;
}

/** The operator's view of a user, in OIDC claim names; never the password hash. */
export function userToJson(user: UserRecord): Record<string, unknown> {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: user.emailVerified,
    ...user.profile,
    has_password: user.passwordHash !== null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
