import type { ClientRecord } from '../../storage/types.js';
import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { standardScopes } from '../oidc/claims.js';
import { spaceList } from '../params.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { resolveResource } from '../tokens/resource.js';
import type { Grant, TokenResponse } from './types.js';

/** OIDC scopes are about a person (ID token, /userinfo, offline access for a person); a client acting for itself has none. */
const personScopes: ReadonlySet<string> = new Set(standardScopes);

/** Without a scope parameter: everything the client is registered for, except the scopes about a person. */
export function defaultClientScopes(client: ClientRecord): string[] {
  return spaceList(client.metadata.scope).filter((s) => !personScopes.has(s));
}

/**
 * RFC 6749 §4.4: the client credentials grant. A confidential client asks for an access token for itself:
 * no person, so no refresh token (§4.4.3: "A refresh token SHOULD NOT be included"), no ID token, no /userinfo.
 */
export const clientCredentials: Grant = {
  grantType: 'client_credentials',
  parameters: ['scope', 'resource'],

  async handle({ client, params, now, dpop }, deps) {
    // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
    if (client.metadata.token_endpoint_auth_method === 'none') {
      throw new UnauthorizedClient('the client_credentials grant is for confidential clients only; a public client cannot use it');
    }

    const requested = params.has('scope') ? [...new Set(spaceList(params.get('scope')))] : undefined;
    if (requested) {
      const aboutPerson = requested.filter((s) => personScopes.has(s));
      if (aboutPerson.length > 0) {
        throw new InvalidScope(`scope ${aboutPerson.join(' ')} is about a person, and the client_credentials grant has none`);
      }
      // RFC 6749 §5.2 invalid_scope: "The requested scope is invalid, unknown, malformed, or exceeds the scope granted".
      const allowed = spaceList(client.metadata.scope);
      const refused = requested.filter((s) => !allowed.includes(s));
      if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);
    }

    // RFC 8707 §2: the resource (API) the token is for; by default the client's own default API, if any. Its form
    // (one absolute URI, no fragment) was checked by the token endpoint (requestedResource), for every grant that
    // declares `resource`; a value that names no API is refused by resolveResource.
    const resource = params.get('resource');
    const target = await resolveResource(
      { client, resource, scopes: requested ?? [], mode: 'reject', defaultToAllScopes: requested === undefined },
      deps.store.apis,
    );
    // RFC 6749 §3.3: a request without scope gets a pre-defined default; here the client's registered scopes.
    const scopes = target.api ? target.scopes : (requested ?? defaultClientScopes(client));

    const access = await issueAccessToken({ client, grantId: null, sub: null, scopes, api: target.api, now, jkt: dpop?.jkt }, deps);
    const response: TokenResponse = { access_token: access.value, token_type: access.tokenType, expires_in: access.expiresIn };
    if (scopes.length > 0) response.scope = scopes.join(' ');
    return response;
  },
};
