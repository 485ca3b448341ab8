import { InvalidGrant, InvalidScope } from '../errors.js';
import { recordEvent } from '../../observability/events.js';
import { attemptLogin, failedLoginEvent } from '../accounts/login.js';
import { scopesForPerson } from '../accounts/person-scopes.js';
import { required, spaceList } from '../params.js';
import { newSortableId } from '../tokens/token-key.js';
import { issueTokenSet } from '../tokens/token-set.js';
import { refreshTokenJkt } from '../dpop/binding.js';
import type { Grant } from './types.js';
import { ACR_PWD } from '../accounts/acr.js';
import { clientRequiredAcr, hasSecondFactor } from '../accounts/mfa-policy.js';

/**
 * RFC 6749 §4.3: the resource owner password credentials grant. Off unless the operator enables it
 * (LATCH_PASSWORD_GRANT) and registers it for the client: RFC 9700 §2.4 says it MUST NOT be used, because
 * the client sees the password and no second factor or consent can happen.
 */
export const password: Grant = {
  grantType: 'password',
  parameters: ['username', 'password', 'scope'],
  enabled: (settings) => settings.passwordGrant,

  async handle({ client, params, now, clientIp, dpop }, deps) {
    // RFC 6749 §4.3.2: username and password are REQUIRED.
    const username = required(params, 'username');
    const secret = required(params, 'password');

    // RFC 6749 §3.3: without a default scope, a request without scope fails with invalid_scope.
    const scopes = [...new Set(spaceList(params.get('scope')))];
    if (scopes.length === 0) throw new InvalidScope('scope is required');
    const allowed = spaceList(client.metadata.scope);
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);

    // Issue 13: a client whose sign-ins need a second factor (LATCH_MFA, default_acr_values) cannot use this grant,
    // which has no way to ask for one. RFC 6749 §5.2 invalid_grant: the resource owner credentials cannot be used
    // for this client. Refused before the password is checked, so it is neither a password oracle nor a failure.
    const needed = clientRequiredAcr(deps.settings.mfa ?? 'off', client.metadata.default_acr_values);
    if (needed !== ACR_PWD) {
      throw new InvalidGrant(`this client requires a second factor (acr ${needed}), which the password grant cannot provide; use the authorization code flow`);
    }

    // LATCH_MFA=enrolled: a person who set up a second factor is asked for it at every sign-in, which this grant cannot
    // do. Refused before the password is checked, like the client's rule above (it tells whether such an account
    // exists, never whether the password was right).
    if (deps.settings.mfa === 'enrolled') {
      const person = await deps.store.users.findByEmail(username);
      if (person && (await hasSecondFactor(deps.store, { sub: person.sub, amr: [] }))) {
        throw new InvalidGrant('this account has a second factor, which the password grant cannot ask for; use the authorization code flow');
      }
    }

    // RFC 6749 §4.3.2: "the authorization server MUST protect the endpoint against brute force attacks":
    // failures count with the login page's, per account and address, per address and (slowdown) per account.
    const { store } = deps;
    const result = await attemptLogin({ email: username, password: secret, ip: clientIp, now }, { users: store.users, throttle: deps.throttle, reportRehashFailure: deps.reportRehashFailure });
    if (result.kind !== 'success') {
      await recordEvent(store, failedLoginEvent(result, { clientId: client.clientId, address: clientIp ?? null, via: 'password_grant' }), now);
    }
    // RFC 6749 §5.2 has no code for a throttled request, and answers 400 "unless specified otherwise": invalid_grant
    // (the resource owner credentials cannot be used now), so that every client library shows the description;
    // Retry-After (RFC 9110 §10.2.3) says when to try again.
    if (result.kind === 'throttled') {
      throw new InvalidGrant(`too many failed sign-ins for this account from this address; try again in ${result.retryAfter} seconds`, {
        headers: { 'Retry-After': String(result.retryAfter) },
      });
    }
    // RFC 6749 §5.2 invalid_grant: "the provided ... resource owner credentials ... are invalid". The same answer
    // for an unknown username and a wrong password.
    if (result.kind === 'invalid') throw new InvalidGrant('incorrect username or password');
    // RFC 6749 §5.2 invalid_grant: the resource owner credentials cannot be used: an operator disabled the account.
    if (result.kind === 'disabled') throw new InvalidGrant('this account is disabled');

    const { user } = result;
    const by = { sub: user.sub, clientId: null, address: clientIp ?? null };
    await recordEvent(store, { type: 'login.succeeded', by, sub: user.sub, clientId: client.clientId, data: { via: 'password_grant', amr: ['pwd'] } }, now);
    // A person's token carries a role scope (admin:read, admin:write) only if the person holds the role.
    const granted = scopesForPerson(user, scopes);
    const grantId = newSortableId();
    await store.grants.create({
      grantId,
      clientId: client.clientId,
      sub: user.sub,
      scope: granted.join(' '),
      sid: null,
      authTime: now,
      amr: ['pwd'],
      createdAt: now,
      revokedAt: null,
    });
    return issueTokenSet(
      {
        client,
        grantId,
        user,
        scopes: granted,
        authTime: now,
        amr: ['pwd'],
        sid: null,
        nonce: null,
        withRefreshToken: client.metadata.grant_types.includes('refresh_token'),
        withIdToken: granted.includes('openid'),
        now,
        jkt: dpop?.jkt,
        refreshJkt: refreshTokenJkt(client, dpop),
      },
      deps,
    );
  },
};
