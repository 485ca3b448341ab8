/**
 * The single-use links mailed to a person (verify an address, reset a password, confirm a new address): a random
 * token goes into the link, only its digest is stored (ARCHITECTURE §5), and a use consumes it in one statement.
 */
import type { AccountTokenKind, AccountTokenRecord, AccountTokensRepository } from '../../storage/types.js';
import { digest, randomToken } from '../tokens/hash.js';

/** How long each kind of link works, in seconds. The issue: a reset link is valid 30 minutes. */
export const ACCOUNT_TOKEN_TTL: Readonly<Record<AccountTokenKind, number>> = {
  reset_password: 30 * 60,
  verify_email: 24 * 60 * 60,
  change_email: 24 * 60 * 60,
};

/** What a token looks like in a link (randomToken: 32 bytes, base64url); anything else is refused unread. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

/**
 * A new link of `kind` for the person: earlier unused links of the same kind stop working (only the newest mail's
 * link does). Returns the token for the link; the store keeps its digest.
 */
export async function issueAccountToken(
  tokens: Pick<AccountTokensRepository, 'create' | 'deleteBySub'>,
  link: { kind: AccountTokenKind; sub: string; email: string },
  now: number,
): Promise<{ token: string; record: AccountTokenRecord }> {
  await tokens.deleteBySub(link.sub, link.kind);
  const token = randomToken();
  const record: AccountTokenRecord = { digest: digest(token), ...link, createdAt: now, expiresAt: now + ACCOUNT_TOKEN_TTL[link.kind] };
  await tokens.create(record);
  return { token, record };
}

/** Consumes the link's token: its record once, before it expires; undefined for anything else. */
export async function redeemAccountToken(
  tokens: Pick<AccountTokensRepository, 'consume'>,
  token: unknown,
  kind: AccountTokenKind,
  now: number,
): Promise<AccountTokenRecord | undefined> {
  if (!isTokenShaped(token)) return undefined;
  return tokens.consume(digest(token), kind, now);
}

/** Reads a link's token without using it (the page that asks for the new password). */
export async function peekAccountToken(
  tokens: Pick<AccountTokensRepository, 'find'>,
  token: unknown,
  kind: AccountTokenKind,
  now: number,
): Promise<AccountTokenRecord | undefined> {
  if (!isTokenShaped(token)) return undefined;
  return tokens.find(digest(token), kind, now);
}

/** Minutes a link of `kind` works, for the mail that carries it. */
export function validMinutes(kind: AccountTokenKind): number {
  return Math.round(ACCOUNT_TOKEN_TTL[kind] / 60);
}
