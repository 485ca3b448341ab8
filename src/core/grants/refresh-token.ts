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
import { claimsRequestOf } from '../oidc/claims-request.js';
import { isFapi2 } from '../fapi/profile.js';
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
 * FAPI 2.0 §5.3.2.1: "shall not use refresh token rotation unless ... retrying the request (with the previous refresh
 * token) will succeed". For a client under the profile the refresh token is not rotated: the same one stays valid
 * (until it expires, is revoked or its grant is), bound to the client it was issued to, and no new one is issued.
 */
async function refreshWithoutRotation(value: string, client: ClientRecord, deps: GrantDeps, now: number): Promise<TokenRecord> {
  const found = await deps.store.tokens.findWithGrant(tokenKey(value));
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client; another client's is unknown to it.
  if (!found || found.token.kind !== 'refresh_token' || found.token.clientId !== client.clientId) {
    throw new InvalidGrant('refresh token is invalid, or was issued to another client');
  }
  const { token, grantRevoked } = found;
  if (token.revokedAt !== null || grantRevoked) throw new InvalidGrant('refresh token has been revoked');
  if (token.expiresAt <= now) throw new InvalidGrant('refresh token has expired');
  // Rotated before the client came under the profile: the rotated one is spent, as it was.
  if (token.consumedAt !== null) throw new InvalidGrant('refresh token was already rotated; use its successor');
  return token;
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

    const rotates = !isFapi2(client);
    // A request that narrows scope or resource is checked before the token is rotated: a refused request changes nothing.
    let checked: Narrowing | undefined;
    if (rotates && (params.has('scope') || params.has('resource'))) {
      const found = await store.tokens.find(key);
      if (found && found.kind === expected.kind && found.clientId === expected.clientId) checked = await narrow(found, client, params, deps);
    }

    // RFC 6749 §6: the refresh token must have been issued to the authenticated client. The store rotates it only for
    // that client and only if it is a refresh token: another client's attempt, or an access token sent as
    // refresh_token, is refused with invalid_grant and changes nothing (the owner's next refresh still works).
    let record: TokenRecord;
    let successor: string | undefined;
    if (rotates) {
      const next = newRefreshSuccessor(refreshReuse.successorKey, value);
      const consumed = await store.tokens.consume(key, { ...expected, successorDigest: next.key, ...(dpop && { jkt: dpop.jkt }) }, now);
      if (!consumed) throw new InvalidGrant('refresh token is invalid, or was issued to another client');
      checkBinding(consumed.record, dpop);
      successor = consumed.firstUse ? next.value : await replay(consumed, value, refreshReuse, deps, now);
      record = consumed.record;
    } else {
      record = await refreshWithoutRotation(value, client, deps, now);
      checkBinding(record, dpop);
    }

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
        ...(successor === undefined ? {} : { refreshSuccessor: successor }),
        authTime,
        amr,
        sid,
        nonce: null,
        // RFC 6749 §5.1: without rotation no refresh token is issued; the client keeps using the one it has.
        withRefreshToken: rotates,
        withIdToken: requested.includes('openid'),
        // OIDC Core §5.5: the claims request of the grant still applies after a refresh (kept in the token's data).
        claims: claimsRequestOf(record.data),
        now,
        jkt: dpop?.jkt,
        // RFC 9449 §5: a bound refresh token's successor stays bound to the same key.
        refreshJkt: record.jkt ?? refreshTokenJkt(client, dpop),
      },
      deps,
    );
  },
};
