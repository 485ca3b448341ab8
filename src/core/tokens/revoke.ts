import type { ClientRecord, Store } from '../../storage/types.js';
import { type Params, required } from '../params.js';
import { tokenKey } from './token-key.js';

/**
 * RFC 7009 §2: revokes a token the calling client holds. Unknown tokens, and tokens of other clients, are
 * answered like revoked ones (§2.2: "invalid tokens do not cause an error response").
 */
export async function revoke(
  caller: ClientRecord,
  params: Params,
  deps: { store: Pick<Store, 'tokens' | 'grants'>; now: number },
): Promise<RevokedGrant | undefined> {
  const token = required(params, 'token');
  const record = await deps.store.tokens.find(tokenKey(token));
  if (!record || record.clientId !== caller.clientId) return undefined;
  // RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the access tokens of the same grant.
  if (record.kind === 'refresh_token' && record.grantId) {
    const revoked = await deps.store.grants.revoke(record.grantId, deps.now);
    return revoked ? { grantId: record.grantId, sub: record.sub } : undefined;
  }
  await deps.store.tokens.revoke(record.digest, deps.now);
  return undefined;
}

/** The grant a revocation ended (for the audit trail), when it ended one. */
export interface RevokedGrant {
  grantId: string;
  sub: string | null;
}
