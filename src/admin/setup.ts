/**
 * The first admin: while no user has the admin role, a start prints a one-time link that creates one in the
 * browser (`/console/setup?token=...`). Only the token's digest is stored, with an expiry of one hour; the link
 * is used up by the one request that consumes it, however many browsers race for it. The token is derived from
 * the server secret and the link's expiry, so every instance (they share the secret) and every restart within
 * the hour prints the same link.
 */
import { createHmac } from 'node:crypto';
import { digest } from '../core/tokens/hash.js';
import type { Store, UserRecord } from '../storage/types.js';
import { recordEvent, type Actor } from '../observability/events.js';
import { ADMIN_ROLE } from './builtins.js';
import { AdminInputError } from './errors.js';
import type { PasswordPolicy } from '../core/accounts/password-policy.js';
import { checkPassword, createUser, normalizeEmail } from './users.js';

export const SETUP_TTL = 3600;
export const SETUP_PATH = '/console/setup';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A setup token has the shape randomToken() gives it: anything else is refused before the store is asked. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isSetupTokenShape(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

export async function hasAdmin(store: Pick<Store, 'users'>): Promise<boolean> {
  return (await store.users.countWithRole(ADMIN_ROLE)) > 0;
}

/** The token of the link that expires at `expiresAt`: an HMAC under the setup key (hkdf of the server secret). */
function setupToken(key: Uint8Array, expiresAt: number): string {
  return createHmac('sha256', key).update(`latch admin setup ${expiresAt}`).digest('base64url');
}

/**
 * When there is no admin yet, the setup link: the one still valid at `now` if this secret made it (another
 * instance, an earlier start), else a new one for an hour (the previous one stops working); undefined when there
 * is an admin.
 */
export async function ensureSetupLink(
  store: Pick<Store, 'users' | 'settings'>,
  issuer: string,
  key: Uint8Array,
  now = nowSeconds(),
): Promise<string | undefined> {
  if (await hasAdmin(store)) return undefined;
  const current = await store.settings.getAdminSetup();
  if (current && current.expiresAt > now) {
    const token = setupToken(key, current.expiresAt);
    if (digest(token) === current.tokenDigest) return `${issuer}${SETUP_PATH}?token=${token}`;
  }
  const expiresAt = now + SETUP_TTL;
  const token = setupToken(key, expiresAt);
  await store.settings.putAdminSetup({ tokenDigest: digest(token), expiresAt });
  return `${issuer}${SETUP_PATH}?token=${token}`;
}

/** What `latch start` prints with the link. */
export function setupLinkText(link: string): string[] {
  return [
    'No administrator yet. Create the first one in your browser:',
    `  ${link}`,
    'This link is valid for 1 hour and works once. From the shell, `latch users create --email you@example.com --role admin` does the same.',
  ];
}

export type SetupTokenState = 'valid' | 'invalid' | 'admin_exists';

/** Whether the link can still be used (for showing the form; only consumeSetup decides). */
export async function checkSetupToken(store: Pick<Store, 'users' | 'settings'>, token: string, now = nowSeconds()): Promise<SetupTokenState> {
  if (await hasAdmin(store)) return 'admin_exists';
  if (!isSetupTokenShape(token)) return 'invalid';
  const setup = await store.settings.getAdminSetup();
  if (!setup || setup.expiresAt <= now || setup.tokenDigest !== digest(token)) return 'invalid';
  return 'valid';
}

export interface SetupInput {
  email: string;
  name: string;
  password: string;
}

export type SetupResult = { ok: true; user: UserRecord } | { ok: false; reason: Exclude<SetupTokenState, 'valid'> };

/**
 * Creates the first admin: the input is checked first (a wrong field leaves the link usable), then the token is
 * consumed atomically (exactly one caller wins), then the user is created with the admin role.
 */
export async function completeSetup(
  store: Store,
  passwords: PasswordPolicy,
  token: string,
  input: SetupInput,
  by: Actor,
  now = nowSeconds(),
): Promise<SetupResult> {
  const state = await checkSetupToken(store, token, now);
  if (state !== 'valid') return { ok: false, reason: state };
  checkInput(passwords, input);
  if (await store.users.findByEmail(normalizeEmail(input.email))) throw new AdminInputError('email', 'a user with this email already exists');
  const setup = await store.settings.getAdminSetup();
  if (!setup || !(await store.settings.consumeAdminSetup(digest(token), now))) return { ok: false, reason: 'invalid' };
  let user: UserRecord;
  try {
    user = await createUser(store, passwords, { email: input.email, name: input.name, password: input.password, emailVerified: true, roles: [ADMIN_ROLE] }, now, by);
  } catch (err) {
    // The store as it was: the link works again (unless another link was made meanwhile).
    if (!(await store.settings.getAdminSetup())) await store.settings.putAdminSetup(setup);
    throw err;
  }
  await recordEvent(store, { type: 'admin.setup_completed', by, sub: user.sub, data: { email: user.email } }, now);
  return { ok: true, user };
}

function checkInput(passwords: PasswordPolicy, input: SetupInput): void {
  normalizeEmail(input.email);
  if (input.name.trim() === '') throw new AdminInputError('name', 'is required');
  checkPassword(passwords, input.password);
}
