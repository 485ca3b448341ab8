import { InvalidGrant, InvalidScope } from '../errors.js';
import { required, spaceList } from '../params.js';
import { tokenKey } from '../tokens/token-key.js';
import { checkResourceIdentifier, invalidTarget, resolveResource } from '../tokens/resource.js';
import { issueTokenSet } from '../tokens/token-set.js';
import type { Grant } from './types.js';

export const refreshToken: Grant = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'resource'],

  async handle({ client, params, now }, deps) {
    const value = required(params, 'refresh_token');
    const { store } = deps;
    const consumed = await store.tokens.consume(tokenKey(value), now);
    if (!consumed || consumed.record.kind !== 'refresh_token') throw new InvalidGrant('refresh token is invalid');
    const { record, firstUse } = consumed;
    if (record.clientId !== client.clientId) throw new InvalidGrant('refresh token was issued to another client');
    // RFC 9700 §4.14.2: with rotation, reuse of a rotated refresh token signals theft: revoke the whole family.
    if (!firstUse) {
      if (record.grantId) await store.grants.revoke(record.grantId, now);
      throw new InvalidGrant('refresh token was already used; every token of this grant has been revoked');
    }
    if (record.revokedAt !== null) throw new InvalidGrant('refresh token has been revoked');
    if (record.expiresAt <= now) throw new InvalidGrant('refresh token has expired');
    if (!record.grantId || !record.sub) throw new InvalidGrant('refresh token is invalid');
    const grant = await store.grants.find(record.grantId);
    if (!grant || grant.revokedAt !== null) throw new InvalidGrant('the authorization grant has been revoked');
    const user = await store.users.findBySub(record.sub);
    if (!user) throw new InvalidGrant('the user of this refresh token no longer exists');

    // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted by the resource owner,
    // and if omitted is treated as equal to the scope originally granted".
    const granted = spaceList(record.scope);
    const requested = params.has('scope') ? spaceList(params.get('scope')) : granted;
    const widened = requested.filter((s) => !granted.includes(s));
    if (widened.length > 0) throw new InvalidScope(`scope exceeds the original grant: ${widened.join(' ')}`);

    // RFC 8707 §2.2: a refresh token may ask for a token for one resource within the grant; by default its own.
    const grantedResource = typeof record.data.resource === 'string' ? record.data.resource : undefined;
    const resource = params.get('resource');
    if (resource !== undefined) checkResourceIdentifier(resource);
    if (grantedResource !== undefined && resource !== undefined && resource !== grantedResource) {
      throw invalidTarget(`resource ${resource} is not part of this grant (it is for ${grantedResource})`);
    }
    const target = await resolveResource({ client, resource: resource ?? grantedResource, scopes: requested, mode: 'narrow' }, store.apis);

    const authTime = typeof record.data.auth_time === 'number' ? record.data.auth_time : grant.authTime ?? now;
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
        authTime,
        sid,
        nonce: null,
        withRefreshToken: true,
        withIdToken: requested.includes('openid'),
        now,
      },
      deps,
    );
  },
};
