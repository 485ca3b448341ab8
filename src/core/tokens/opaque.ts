import type { TokenKind, TokenRecord, TokensRepository } from '../../storage/types.js';
import { newTokenValue, tokenKey } from './token-key.js';

export interface OpaqueTokenInput {
  kind: TokenKind;
  grantId: string | null;
  clientId: string;
  sub: string | null;
  scope: string;
  audience?: string | null;
  data?: Record<string, unknown>;
  now: number;
  ttl: number;
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to. */
  jkt?: string | undefined;
}

/** Mints a random bearer value and stores only its digest. */
export async function issueOpaqueToken(input: OpaqueTokenInput, tokens: Pick<TokensRepository, 'create'>): Promise<{ value: string; record: TokenRecord }> {
  const value = newTokenValue();
  const record = opaqueTokenRecord(input, value);
  await tokens.create(record);
  return { value, record };
}

/** What the store keeps for the opaque token `value`: its key (digest), never the value. */
export function opaqueTokenRecord(input: OpaqueTokenInput, value: string): TokenRecord {
  return {
    digest: tokenKey(value),
    kind: input.kind,
    grantId: input.grantId,
    clientId: input.clientId,
    sub: input.sub,
    scope: input.scope,
    audience: input.audience ?? null,
    data: input.data ?? {},
    createdAt: input.now,
    expiresAt: input.now + input.ttl,
    consumedAt: null,
    revokedAt: null,
    ...(input.jkt !== undefined && { jkt: input.jkt }),
  };
}

/** A token is usable when it is not revoked, not expired and (for refresh tokens) not yet rotated. */
export function isTokenActive(record: TokenRecord, now: number): boolean {
  return record.revokedAt === null && record.expiresAt > now && record.consumedAt === null;
}

/**
 * The token stored under `value`'s key, if it can be used now: active, and not of a revoked grant (even one
 * written while its grant was being revoked). What introspection and /userinfo accept, in one store lookup.
 */
export async function findUsableToken(value: string, tokens: Pick<TokensRepository, 'findWithGrant'>, now: number): Promise<TokenRecord | undefined> {
  const found = await tokens.findWithGrant(tokenKey(value));
  return found && !found.grantRevoked && isTokenActive(found.token, now) ? found.token : undefined;
}
