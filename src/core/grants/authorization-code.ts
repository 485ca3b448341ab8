import { isDisabled } from '../accounts/person-scopes.js';
import { refreshTokenJkt } from '../dpop/binding.js';
import type { DpopProof } from '../dpop/proof.js';
import { InvalidGrant, OAuthError } from '../errors.js';
import { required, spaceList } from '../params.js';
import { codeVerifierPattern, verifyS256 } from '../pkce.js';
import { tokenKey } from '../tokens/token-key.js';
import { checkResourceIdentifier, invalidTarget, resolveResource } from '../tokens/resource.js';
import { issueTokenSet } from '../tokens/token-set.js';
import { claimsRequestOf } from '../oidc/claims-request.js';
import type { Grant } from './types.js';

/**
 * RFC 9449 §10: a code whose authorization request named dpop_jkt is redeemed only with a proof of that key. The
 * store consumes it only then, so the refusal leaves the code to its rightful client.
 */
function checkDpopJkt(dpopJkt: string | undefined, proof: DpopProof | undefined): void {
  if (dpopJkt === undefined) return;
  if (proof === undefined) throw new OAuthError('invalid_dpop_proof', 'this authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof of it');
  // RFC 9449 §10: "If they do not match, it MUST reject the request."
  if (proof.jkt !== dpopJkt) throw new InvalidGrant('the DPoP proof key does not match the dpop_jkt of the authorization request');
}

export const authorizationCode: Grant = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier', 'resource'],

  async handle({ client, params, now, dpop }, deps) {
    const code = required(params, 'code');
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier');
    const { store } = deps;

    // RFC 6749 §4.1.3: ensure that the authorization code was issued to the authenticated confidential client, or to
    // the public client named by client_id. The store consumes the code only for that client: another client's
    // attempt is refused with invalid_grant and changes nothing, so the rightful client can still redeem it.
    const consumed = await store.codes.consume(tokenKey(code), { clientId: client.clientId, ...(dpop && { dpopJkt: dpop.jkt }) }, now);
    if (!consumed) throw new InvalidGrant('authorization code is invalid, or was issued to another client');
    const { record, firstUse } = consumed;
    // Before reuse detection: the store did not consume a code bound to another key, and that is no reuse.
    checkDpopJkt(record.dpopJkt, dpop);
    if (!firstUse && record.consumedAt === null) throw new InvalidGrant('authorization code has expired');

    // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server MUST deny the
    // request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
    if (!firstUse) {
      await store.grants.revoke(record.grantId, now);
      throw new InvalidGrant('authorization code was already used; tokens issued from it have been revoked');
    }
    // RFC 6749 §4.1.3: redirect_uri is required if it was included in the authorization request, and must be identical.
    if (record.data.redirect_uri_sent === true && redirectUri === undefined) {
      throw new InvalidGrant('redirect_uri is required: it was included in the authorization request');
    }
    if (redirectUri !== undefined && redirectUri !== record.redirectUri) {
      throw new InvalidGrant('redirect_uri does not match the one used in the authorization request');
    }
    if (record.codeChallenge) {
      // RFC 7636 §4.6: the server verifies the code_verifier against the stored code_challenge.
      if (verifier === undefined) throw new InvalidGrant('code_verifier is required (PKCE was used in the authorization request)');
      if (!codeVerifierPattern.test(verifier)) throw new InvalidGrant('code_verifier is malformed (43-128 unreserved characters)');
      if (!verifyS256(verifier, record.codeChallenge)) throw new InvalidGrant('code_verifier does not match the code_challenge');
    } else if (verifier !== undefined) {
      // RFC 9700 §2.1.1: a code_verifier for a code issued without code_challenge is a PKCE downgrade attempt.
      throw new InvalidGrant('code_verifier sent, but the authorization request had no code_challenge');
    }

    const grant = await store.grants.find(record.grantId);
    if (!grant || grant.revokedAt !== null) throw new InvalidGrant('the authorization grant has been revoked');
    const user = await store.users.findBySub(record.sub);
    if (!user) throw new InvalidGrant('the user of this authorization code no longer exists');
    if (isDisabled(user)) {
      await store.grants.revoke(record.grantId, now);
      throw new InvalidGrant('the account of this authorization code is disabled');
    }

    const scopes = spaceList(record.scope);
    // RFC 8707 §2.2: the token request may name the resource again, but only within what was authorized.
    const authorized = typeof record.data.resource === 'string' ? record.data.resource : undefined;
    const requested = params.get('resource');
    if (requested !== undefined) checkResourceIdentifier(requested);
    if (authorized !== undefined && requested !== undefined && requested !== authorized) {
      throw invalidTarget(`resource ${requested} was not part of the authorization request (it named ${authorized})`);
    }
    const target = await resolveResource({ client, resource: requested ?? authorized, scopes, mode: 'narrow' }, store.apis);
    return issueTokenSet(
      {
        client,
        grantId: record.grantId,
        user,
        scopes,
        api: target.api,
        accessScopes: target.scopes,
        authTime: record.authTime,
        amr: grant.amr ?? ['pwd'],
        sid: record.sid,
        nonce: record.nonce,
        withRefreshToken: client.metadata.grant_types.includes('refresh_token'),
        withIdToken: scopes.includes('openid'),
        claims: claimsRequestOf(record.data),
        now,
        jkt: dpop?.jkt,
        refreshJkt: refreshTokenJkt(client, dpop),
      },
      deps,
    );
  },
};

