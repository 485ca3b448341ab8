import type { ClientRecord, TokenConsumption, TokenRecord } from '../../storage/types.js';
import { isDisabled } from '../accounts/person-scopes.js';
import { refreshTokenJkt } from '../dpop/binding.js';
import type { DpopProof } from '../dpop/proof.js';
import { InvalidGrant, InvalidScope, OAuthError } from '../errors.js';
import { type Params, required, spaceList } from '../params.js';
import { newRefreshSuccessor, recomputeRefreshSuccessor } from '../tokens/refresh-successor.js';
import { tokenKey } from '../tokens/token-key.js';
import { checkResourceIdentifier, invalidTarget, resolveResource, type ResolvedResource } from '../tokens/resource.js';
import { amrOf } from '../tokens/authentication-data.js';
import { issueTokenSet } from '../tokens/token-set.js';
import type { Grant, GrantDeps, RefreshReusePolicy } from './types.js';

interface Narrowing {
  granted: string[];
  requested: string[];
  grantedResource: string | undefined;
  target: ResolvedResource;
}

/**
 * RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted by the resource owner, and
 * if omitted is treated as equal to the scope originally granted". RFC 8707 §2.2: a refresh token may ask for a
 * token for one resource within the grant; by default its own.
 */
async function narrow(record: TokenRecord, client: ClientRecord, params: Params, deps: GrantDeps): Promise<Narrowing> {
  const granted = spaceList(record.scope);
  const requested = params.has('scope') ? spaceList(params.get('scope')) : granted;
  const widened = requested.filter((s) => !granted.includes(s));
  if (widened.length > 0) throw new InvalidScope(`scope exceeds the original grant: ${widened.join(' ')}`);
  const grantedResource = typeof record.data.resource === 'string' ? record.data.resource : undefined;
  const resource = params.get('resource');
  if (resource !== undefined) checkResourceIdentifier(resource);
  if (grantedResource !== undefined && resource !== undefined && resource !== grantedResource) {
    throw invalidTarget(`resource ${resource} is not part of this grant (it is for ${grantedResource})`);
  }
  const target = await resolveResource({ client, resource: resource ?? grantedResource, scopes: requested, mode: 'narrow' }, deps.store.apis);
  return { granted, requested, grantedResource, target };
}

/**
 * A refresh token presented again, after a rotation: the successor to answer again (inside the reuse interval),
 * or a refusal that revokes the whole family (any other reuse).
 */
async function replay(consumed: TokenConsumption, presented: string, policy: RefreshReusePolicy, deps: GrantDeps, now: number): Promise<string> {
  const { record, successor, successorDigest, grantRevoked } = consumed;
  if (record.consumedAt === null) {
    // Not rotated: the store refused to consume it because it, or its grant, is revoked or expired.
    if (record.revokedAt !== null || grantRevoked) throw new InvalidGrant('refresh token has been revoked');
    if (record.expiresAt <= now) throw new InvalidGrant('refresh token has expired');
    throw new InvalidGrant('refresh token is invalid');
  }
  // RFC 9700 §4.14.2 allows reuse detection to tolerate the same client's parallel or retried requests: within the
  // reuse interval of the rotation, while the successor is unused and the grant alive, the answer is the same
  // successor (idempotent, so the family never forks; detection is only delayed). No grace for a revoked grant.
  const inGrace =
    policy.interval > 0 &&
    now - record.consumedAt <= policy.interval &&
    !grantRevoked &&
    record.revokedAt === null &&
    record.expiresAt > now &&
    successorDigest !== null &&
    (successor === null || (successor.consumedAt === null && successor.revokedAt === null));
  const again = inGrace ? recomputeRefreshSuccessor(policy.successorKey, presented, successorDigest) : undefined;
  if (again !== undefined) return again;
  // RFC 9700 §4.14.2: with rotation, reuse of a rotated refresh token signals theft: revoke the whole family.
  if (record.grantId) await deps.store.grants.revoke(record.grantId, now);
  throw new InvalidGrant('refresh token was already used; every token of this grant has been revoked');
}

/**
 * RFC 9449 §5: a refresh token bound to a DPoP key (a public client's) is used only with a proof of that key. The
 * store did not rotate it; the refusal changes nothing, and is no sign of reuse.
 */
function checkBinding(record: TokenRecord, proof: DpopProof | undefined): void {
  if (record.jkt === undefined || record.jkt === proof?.jkt) return;
  if (proof === undefined) throw new OAuthError('invalid_dpop_proof', 'this refresh token is bound to a DPoP key: send a DPoP proof of it');
  throw new InvalidGrant('the refresh token is bound to another DPoP key than the proof');
}

export const refreshToken: Grant = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'resource'],

  async handle({ client, params, now, dpop }, deps) {
    const value = required(params, 'refresh_token');
    const { store, refreshReuse } = deps;
    const key = tokenKey(value);
    const expected = { kind: 'refresh_token', clientId: client.clientId } as const;

    // A request that narrows scope or resource is checked before the token is rotated: a refused request changes nothing.
    let checked: Narrowing | undefined;
    if (params.has('scope') || params.has('resource')) {
      const found = await store.tokens.find(key);
      if (found && found.kind === expected.kind && found.clientId === expected.clientId) checked = await narrow(found, client, params, deps);
    }

    // RFC 6749 §6: the refresh token must have been issued to the authenticated client. The store rotates it only for
    // that client and only if it is a refresh token: another client's attempt, or an access token sent as
    // refresh_token, is refused with invalid_grant and changes nothing (the owner's next refresh still works).
    const next = newRefreshSuccessor(refreshReuse.successorKey, value);
    const consumed = await store.tokens.consume(key, { ...expected, successorDigest: next.key, ...(dpop && { jkt: dpop.jkt }) }, now);
    if (!consumed) throw new InvalidGrant('refresh token is invalid, or was issued to another client');
    checkBinding(consumed.record, dpop);
    const successor = consumed.firstUse ? next.value : await replay(consumed, value, refreshReuse, deps, now);

    const { record } = consumed;
    if (!record.grantId || !record.sub) throw new InvalidGrant('refresh token is invalid');
    // A deleted person's tokens are deleted with them; one deleted meanwhile gets nothing, not even a grace answer.
    const user = await store.users.findBySub(record.sub);
    if (!user) throw new InvalidGrant('the user of this refresh token no longer exists');
    if (isDisabled(user)) {
      await store.grants.revoke(record.grantId, now);
      throw new InvalidGrant('the account of this refresh token is disabled');
    }
    const { granted, requested, grantedResource, target } = checked ?? (await narrow(record, client, params, deps));

    // Refresh tokens from before a token kept its authentication find it on their grant.
    const kept = typeof record.data.auth_time === 'number' ? { authTime: record.data.auth_time, amr: amrOf(record.data) } : undefined;
    const grant = kept?.amr ? undefined : await store.grants.find(record.grantId);
    const authTime = kept?.authTime ?? grant?.authTime ?? now;
    const amr = kept?.amr ?? grant?.amr ?? ['pwd'];
    const sid = typeof record.data.sid === 'string' ? record.data.sid : null;
    return issueTokenSet(
      {
        client,
        grantId: record.grantId,
        user,
        scopes: requested,
        api: target.api,
        accessScopes: target.scopes,
        refreshResource: grantedResource ?? null,
        refreshScopes: granted,
        refreshSuccessor: successor,
        authTime,
        amr,
        sid,
        nonce: null,
        withRefreshToken: true,
        withIdToken: requested.includes('openid'),
        now,
        jkt: dpop?.jkt,
        // RFC 9449 §5: a bound refresh token's successor stays bound to the same key.
        refreshJkt: record.jkt ?? refreshTokenJkt(client, dpop),
      },
      deps,
    );
  },
};
