/**
 * Initial access tokens (RFC 7591 §3): what an operator gives an app developer so that their app may register itself
 * at POST /register while LATCH_REGISTRATION is `token`. Shown once; only the digest is kept; uses are counted down
 * in one statement (storage/repositories/registration.ts).
 */
import { digest, randomToken } from '../core/tokens/hash.js';
import { CLI_ACTOR, recordEvent, type Actor } from '../observability/events.js';
import type { RegistrationTokenRecord, Store } from '../storage/types.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { randomId } from './random-id.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
export const MAX_REGISTRATION_TOKEN_TTL = 365 * 24 * 3600;
export const MAX_REGISTRATION_TOKEN_USES = 1_000_000;

export interface RegistrationTokenOptions {
  /** How many registrations it allows; undefined: any number. */
  uses?: number | undefined;
  /** Seconds it stays valid; undefined: until revoked. */
  ttl?: number | undefined;
}

export async function createRegistrationToken(
  store: Pick<Store, 'registrationTokens' | 'events'>,
  options: RegistrationTokenOptions = {},
  by: Actor = CLI_ACTOR,
  now = nowSeconds(),
): Promise<{ token: string; record: RegistrationTokenRecord }> {
  const { uses, ttl } = options;
  if (uses !== undefined && (!Number.isInteger(uses) || uses < 1 || uses > MAX_REGISTRATION_TOKEN_USES)) {
    throw new AdminInputError('uses', `must be a whole number from 1 to ${MAX_REGISTRATION_TOKEN_USES}`);
  }
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_REGISTRATION_TOKEN_TTL)) {
    throw new AdminInputError('ttl', `must be a whole number of seconds from 1 to ${MAX_REGISTRATION_TOKEN_TTL}`);
  }
  const token = randomToken(32);
  const record: RegistrationTokenRecord = { id: randomId(), digest: digest(token), usesLeft: uses ?? null, createdAt: now, expiresAt: ttl === undefined ? null : now + ttl };
  await store.registrationTokens.create(record);
  await recordEvent(store, { type: 'registration_token.created', by, data: { id: record.id, uses: record.usesLeft, expires_at: record.expiresAt } }, now);
  return { token, record };
}

export function listRegistrationTokens(store: Pick<Store, 'registrationTokens'>): Promise<RegistrationTokenRecord[]> {
  return store.registrationTokens.list();
}

export async function revokeRegistrationToken(store: Pick<Store, 'registrationTokens' | 'events'>, id: string, by: Actor = CLI_ACTOR, now = nowSeconds()): Promise<void> {
  if (!(await store.registrationTokens.revoke(id))) throw new AdminNotFoundError('registration token', id);
  await recordEvent(store, { type: 'registration_token.revoked', by, data: { id } }, now);
}

/** What a listing shows of a token: never the token, which only its creator saw. */
export function registrationTokenToJson(record: RegistrationTokenRecord, now = nowSeconds()): Record<string, unknown> {
  const expired = record.expiresAt !== null && record.expiresAt <= now;
  const usedUp = record.usesLeft !== null && record.usesLeft <= 0;
  return { id: record.id, uses_left: record.usesLeft, created_at: record.createdAt, expires_at: record.expiresAt, usable: !expired && !usedUp };
}
