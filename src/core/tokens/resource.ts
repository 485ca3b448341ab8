import type { ApiRecord, ApisRepository, ClientRecord } from '../../storage/types.js';
import { isRoleScope } from '../accounts/person-scopes.js';
import { InvalidScope, OAuthError } from '../errors.js';
import { standardScopes } from '../oidc/claims.js';
import { spaceList } from '../params.js';

/** Scopes about the person (OIDC): they go into the ID token and /userinfo, never into an API's access token. */
const identityScopes: ReadonlySet<string> = new Set(standardScopes);

export function invalidTarget(description: string, redirectable = false): OAuthError {
  return new OAuthError('invalid_target', description, { redirectable });
}

/**
 * RFC 8707 §2: the `resource` values of one request. Latch issues one audience per access token, so at most one
 * value is accepted; it "MUST be an absolute URI" and "MUST NOT include a fragment component".
 */
export function requestedResource(values: readonly string[] | undefined, redirectable = false): string | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) {
    throw invalidTarget('only one resource may be requested at a time: Latch issues one audience per access token', redirectable);
  }
  const value = values[0] as string;
  checkResourceIdentifier(value, redirectable);
  return value;
}

/** RFC 8707 §2: an absolute URI, without a fragment. */
export function checkResourceIdentifier(value: string, redirectable = false): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidTarget(`resource must be an absolute URI: ${value}`, redirectable);
  }
  // RFC 8707 §2: "It MUST NOT include a fragment component."
  if (value.includes('#') || url.hash !== '') throw invalidTarget(`resource must not contain a fragment: ${value}`, redirectable);
}

export interface ResourceRequest {
  client: ClientRecord;
  /** The resource the request names, if any; else the client's default API applies. */
  resource: string | undefined;
  /** The requested (or granted) scopes. */
  scopes: readonly string[];
  /**
   * `reject` (authorization and client credentials requests): a non-OIDC scope the API does not define is an error.
   * `narrow` (token requests on an existing grant): the access token keeps the API's share of the grant.
   */
  mode: 'reject' | 'narrow';
  /** Client credentials without a scope parameter: every API scope the client may use (RFC 6749 §3.3 default). */
  defaultToAllScopes?: boolean;
  /** Errors may be redirected to the client (authorization endpoint). */
  redirectable?: boolean;
}

export interface ResolvedResource {
  /** The API the access token is for; undefined for a token without an audience (e.g. only for /userinfo). */
  api: ApiRecord | undefined;
  /** Scopes of the access token. */
  scopes: string[];
}

/**
 * Decides the audience and scopes of an access token: the API named by `resource` (RFC 8707) or the client's
 * default API (`latch_default_resource`), and the requested scopes that API defines and the client may use.
 * Without an API, the access token keeps all the requested scopes and has no audience (the pre-RFC 8707 behaviour).
 */
export async function resolveResource(request: ResourceRequest, apis: Pick<ApisRepository, 'find'>): Promise<ResolvedResource> {
  const { client, mode } = request;
  const redirectable = request.redirectable ?? false;
  const fromDefault = request.resource === undefined;
  const identifier = request.resource ?? client.metadata.latch_default_resource;
  if (identifier === undefined) return { api: undefined, scopes: [...request.scopes] };
  // Issue 15: a client that registered itself (RFC 7591) never gets a token for the admin API.
  if (client.metadata.latch_registered === true && identifier === 'urn:latch:admin') {
    throw invalidTarget('a registered client cannot get tokens for urn:latch:admin', redirectable);
  }
  const api = await apis.find(identifier);
  if (!api) {
    // RFC 8707 §2: invalid_target: "The requested resource is invalid, missing, unknown, or malformed."
    throw invalidTarget(
      fromDefault
        ? `this client's default resource ${identifier} is not an API registered with this server`
        : `resource ${identifier} is not an API registered with this server`,
      redirectable,
    );
  }
  const allowed = new Set(spaceList(client.metadata.scope));
  const apiScopes = new Set(api.scopes);
  // A sign-in that asks for none of the default API's scopes (e.g. only `openid profile`) gets no API audience.
  if (fromDefault && api.scopes.length > 0 && !request.defaultToAllScopes && !request.scopes.some((s) => apiScopes.has(s))) {
    return { api: undefined, scopes: [...request.scopes] };
  }
  if (request.defaultToAllScopes && request.scopes.length === 0) {
    const scopes = api.scopes.filter((s) => allowed.has(s));
    if (api.scopes.length > 0 && scopes.length === 0) {
      throw new InvalidScope(`this client may use none of the scopes of API ${identifier} (${api.scopes.join(' ')}); add them to the client's scope`, { redirectable });
    }
    return { api, scopes };
  }
  if (mode === 'reject') {
    // RFC 6749 §5.2 invalid_scope: "The requested scope is invalid, unknown, malformed, or exceeds the scope granted".
    const foreign = request.scopes.filter((s) => !identityScopes.has(s) && !apiScopes.has(s));
    if (foreign.length > 0) {
      throw new InvalidScope(`scope not defined by API ${identifier}: ${foreign.join(' ')}`, { redirectable });
    }
    const refused = request.scopes.filter((s) => apiScopes.has(s) && !allowed.has(s));
    if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`, { redirectable });
  }
  const scopes = [...new Set(request.scopes.filter((s) => apiScopes.has(s) && allowed.has(s)))];
  // A grant of a person without the role an API's every scope needs (the admin API without `admin`): the scopes were
  // withheld from the person (accounts/person-scopes.ts), so the token is for the API but carries none of them.
  if (mode === 'narrow' && scopes.length === 0 && api.scopes.length > 0 && api.scopes.every(isRoleScope)) return { api, scopes };
  if (api.scopes.length > 0 && scopes.length === 0) {
    throw new InvalidScope(`none of the requested scopes is defined by API ${identifier}; it defines: ${api.scopes.join(' ')}`, { redirectable });
  }
  return { api, scopes };
}
