import { deviceCodeGrantType } from '../device/device-authorization.js';
import { pendingPoll } from '../device/polling.js';
import { isDisabled } from '../accounts/person-scopes.js';
import { InvalidGrant, OAuthError } from '../errors.js';
import { required, spaceList } from '../params.js';
import { digest } from '../tokens/hash.js';
import { checkResourceIdentifier, resolveResource } from '../tokens/resource.js';
import { issueTokenSet } from '../tokens/token-set.js';
import { refreshTokenJkt } from '../dpop/binding.js';
import type { Grant } from './types.js';

/**
 * RFC 8628 §3.4 / §3.5: the device polls the token endpoint with its device_code until the person has approved
 * or denied the request on another device, or the code expires.
 */
export const deviceCode: Grant = {
  grantType: deviceCodeGrantType,
  parameters: ['device_code', 'resource'],

  async handle({ client, params, now, dpop }, deps) {
    const value = required(params, 'device_code');
    const { store } = deps;
    const codeDigest = digest(value);
    const record = await store.deviceCodes.find(codeDigest);
    if (!record) throw new InvalidGrant('device_code is invalid');
    // RFC 8628 §3.4 / RFC 6749 §3.2.1: the device code was issued to one client; no other client may redeem it.
    if (record.clientId !== client.clientId) throw new InvalidGrant('device_code was issued to another client');
    if (record.consumedAt !== null) {
      // ARCHITECTURE §5 / RFC 6749 §4.1.2 by analogy: a second redemption revokes what the first one issued.
      if (record.grantId) await store.grants.revoke(record.grantId, now);
      throw new InvalidGrant('device_code was already used; tokens issued from it have been revoked');
    }
    // RFC 8628 §3.5 expired_token: "The device_code has expired, and the device authorization session has concluded."
    if (record.expiresAt <= now) {
      throw new OAuthError('expired_token', 'the device_code has expired: start a new device authorization request');
    }
    // RFC 8628 §3.5 access_denied: "The authorization request was denied."
    if (record.status === 'denied') throw new OAuthError('access_denied', 'the person denied the authorization request');
    if (record.status === 'pending') {
      const poll = pendingPoll(record, now);
      await store.deviceCodes.recordPoll(codeDigest, now, poll.interval);
      if (poll.error === 'slow_down') {
        throw new OAuthError('slow_down', `polling too fast: wait at least ${poll.interval} seconds between requests`);
      }
      // RFC 8628 §3.5 authorization_pending: "The authorization request is still pending as the end user hasn't yet
      // completed the user-interaction steps".
      throw new OAuthError('authorization_pending', 'the person has not approved the request yet; keep polling');
    }

    // Approved: the scope is what the person granted. RFC 8707 §2.2: the token may be for one resource (API).
    const scopes = spaceList(record.scope);
    const resource = params.get('resource');
    if (resource !== undefined) checkResourceIdentifier(resource);
    const target = await resolveResource({ client, resource, scopes, mode: 'narrow' }, store.apis);

    // The grant was created with the approval, so a redemption that loses the race below always revokes what the
    // winner is issuing, even while the winner is still writing its tokens.
    const consumed = await store.deviceCodes.consume(codeDigest, { clientId: client.clientId }, now);
    if (!consumed) throw new InvalidGrant('device_code is invalid');
    const approved = consumed.record;
    if (!consumed.firstUse) {
      if (approved.grantId) await store.grants.revoke(approved.grantId, now);
      throw new InvalidGrant('device_code was already used; tokens issued from it have been revoked');
    }
    if (!approved.sub || !approved.grantId || approved.authTime === null) throw new InvalidGrant('device_code is invalid');
    const user = await store.users.findBySub(approved.sub);
    if (!user) throw new InvalidGrant('the person who approved this device no longer exists');
    if (isDisabled(user)) {
      await store.grants.revoke(approved.grantId, now);
      throw new InvalidGrant('the account of the person who approved this device is disabled');
    }

    return issueTokenSet(
      {
        client,
        grantId: approved.grantId,
        user,
        scopes,
        api: target.api,
        accessScopes: target.scopes,
        authTime: approved.authTime,
        amr: (await store.grants.find(approved.grantId))?.amr ?? ['pwd'],
        sid: approved.sid,
        // RFC 8628 has no nonce: the ID token is bound to the client by aud/azp and to this request by the device code.
        nonce: null,
        withRefreshToken: client.metadata.grant_types.includes('refresh_token'),
        withIdToken: scopes.includes('openid'),
        now,
        jkt: dpop?.jkt,
        refreshJkt: refreshTokenJkt(client, dpop),
      },
      deps,
    );
  },
};
