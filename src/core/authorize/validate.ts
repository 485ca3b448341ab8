import type { ClientRecord } from '../../storage/types.js';
import { InvalidScope, OAuthError, UnauthorizedClient } from '../errors.js';
import { type ParsedParams, type Params, rejectDuplicates, spaceList } from '../params.js';
import { s256ChallengePattern } from '../pkce.js';
import { isAcrValue } from '../accounts/acr.js';
import { essentialAcrValues, parseClaimsParameter } from '../oidc/claims-request.js';
import { sectorOf } from '../oidc/pairwise.js';
import { requestedResource } from '../tokens/resource.js';
import { fapi2AuthorizationChecks } from '../fapi/authorize-checks.js';
import { type ParSettings, parRequired } from './par.js';
import { type RequestSource, requestSource } from './read.js';
import type { AuthorizationRequest, RedirectTarget } from './request.js';
import { responseModes, type ResponseType, responseTypes } from './response-types.js';

/** What every check sees: the parameters, the trusted client and redirect target, and the response type asked for. */
export interface CheckInput {
  parsed: ParsedParams;
  params: Params;
  target: RedirectTarget;
  client: ClientRecord;
  /** response_type as sent, and in its sorted form (the key of `responseTypes`). */
  responseType: string;
  normalized: string;
  type: ResponseType;
  /** Where the request came from (core/authorize/read.ts): pushed to /par, in a signed request object. */
  source: RequestSource;
  policy: RequestPolicy;
}

/** Server-wide settings the checks read. */
export type RequestPolicy = ParSettings;

/** One rule of the authorization request: throws a redirectable OAuthError when the request breaks it. */
export interface AuthorizationCheck {
  name: string;
  check(input: CheckInput): void;
}

const promptValues = new Set(['none', 'login', 'consent', 'select_account']);

function fail(code: ConstructorParameters<typeof OAuthError>[0], description: string): never {
  throw new OAuthError(code, description, { redirectable: true });
}

/** Checks before the response type is known: duplicates, unsupported request objects, the response type itself. */
function readResponseType(parsed: ParsedParams, client: ClientRecord): Pick<CheckInput, 'responseType' | 'normalized' | 'type'> {
  rejectDuplicates(parsed, true);
  const { params } = parsed;
  // OIDC Core §6: request and request_uri are read before the checks (read.ts); left here, nobody read them.
  if (params.has('request')) fail('request_not_supported', 'the request parameter was not read');
  if (params.has('request_uri')) fail('request_uri_not_supported', 'the request_uri parameter was not read');
  if (params.has('registration')) fail('registration_not_supported', 'the registration parameter is not supported');

  const responseType = params.get('response_type');
  if (!responseType) fail('invalid_request', 'missing required parameter: response_type');
  const normalized = spaceList(responseType).sort().join(' ');
  const type = responseTypes.get(normalized);
  if (!type) fail('unsupported_response_type', `response_type ${responseType} is not supported`);
  if (!client.metadata.response_types.map((t) => spaceList(t).sort().join(' ')).includes(normalized)) {
    fail('unauthorized_client', `this client is not allowed to use response_type ${responseType}`);
  }
  return { responseType, normalized, type };
}

function requestedScopes(params: Params): string[] {
  return [...new Set(spaceList(params.get('scope')))];
}

/** The rules of an authorization request, in the order they are checked (the first broken one is the error). */
export const authorizationChecks: readonly AuthorizationCheck[] = [
  {
    name: 'pushed authorization request',
    check({ client, source, policy }) {
      // RFC 9126 §5 / §6: the server, or the client's require_pushed_authorization_requests, demands /par.
      if (parRequired(client, policy) && !source.pushed) {
        fail('invalid_request', 'this authorization request must be pushed to the pushed authorization request endpoint (/par) first');
      }
    },
  },
  {
    name: 'signed request object',
    check({ client, source }) {
      // RFC 9101 §10.5: require_signed_request_object: "the authorization server MUST reject" an unsigned request.
      if (client.metadata.require_signed_request_object === true && !source.signed) {
        fail('invalid_request', 'this client must send its authorization requests as signed request objects (request parameter)');
      }
    },
  },
  {
    name: 'grant types of the response type',
    check({ client, type }) {
      // RFC 7591 §2.1: the response type's grant types must be registered too (implicit for tokens from this endpoint).
      const missingGrant = type.grantTypes.find((grant) => !client.metadata.grant_types.includes(grant));
      if (missingGrant) throw new UnauthorizedClient(`this client is not allowed to use the ${missingGrant} grant`, { redirectable: true });
    },
  },
  {
    name: 'response_mode',
    check({ params, target, type, responseType }) {
      const requestedMode = params.get('response_mode');
      if (requestedMode !== undefined && !(responseModes as readonly string[]).includes(requestedMode)) {
        fail('invalid_request', `response_mode ${requestedMode} is not supported`);
      }
      // OAuth 2.0 Multiple Response Types §5: tokens must not be returned in the query string.
      // JARM §2.3.1: nor in a query.jwt response unless encrypted (Latch does not encrypt responses).
      if ((target.responseMode === 'query' || target.responseMode === 'query.jwt') && type.returnsTokens) {
        fail('invalid_request', `response_mode=${target.responseMode} is not allowed with response_type ${responseType}`);
      }
    },
  },
  {
    name: 'scope',
    check({ params, client, type, responseType }) {
      // RFC 6749 §3.3: without a default scope, a request without scope fails with invalid_scope.
      if (!params.get('scope')) fail('invalid_scope', 'scope is required');
      const scopes = requestedScopes(params);
      const allowed = spaceList(client.metadata.scope);
      const refused = scopes.filter((s) => !allowed.includes(s));
      if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`, { redirectable: true });
      if (type.requiresOpenId && !scopes.includes('openid')) fail('invalid_scope', `response_type ${responseType} requires the openid scope`);
    },
  },
  {
    name: 'nonce',
    check({ params, type, responseType }) {
      // OIDC Core §3.2.2.1: nonce is REQUIRED when an ID token is returned from the authorization endpoint.
      if (type.requiresNonce && !params.get('nonce')) fail('invalid_request', `nonce is required for response_type ${responseType}`);
    },
  },
  {
    name: 'PKCE',
    check({ params, client, type }) {
      const challenge = params.get('code_challenge');
      const method = params.get('code_challenge_method');
      if (challenge === undefined) {
        if (method !== undefined) fail('invalid_request', 'code_challenge_method given without code_challenge');
        // RFC 9700 §2.1.1 / RFC 8252 §8.1: public clients MUST use PKCE.
        if (type.issuesCode && client.metadata.token_endpoint_auth_method === 'none') {
          fail('invalid_request', 'PKCE is required for public clients: send code_challenge with code_challenge_method=S256');
        }
        return;
      }
      // RFC 7636 §4.3: the method defaults to "plain" when absent; Latch accepts only S256 (RFC 9700 §2.1.1).
      if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256 (plain is not allowed)');
      if (!s256ChallengePattern.test(challenge)) fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
    },
  },
  {
    name: 'prompt',
    check({ params }) {
      const prompt = new Set(spaceList(params.get('prompt')));
      for (const value of prompt) {
        if (!promptValues.has(value)) fail('invalid_request', `unsupported prompt value: ${value}`);
      }
      // OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
      if (prompt.has('none') && prompt.size > 1) fail('invalid_request', 'prompt=none must not be combined with other values');
    },
  },
  {
    name: 'resource',
    check({ parsed }) {
      // RFC 8707 §2: an absolute URI without fragment; Latch takes one per request (invalid_target otherwise).
      requestedResource(parsed.multi.get('resource'), true);
    },
  },
  {
    name: 'max_age',
    check({ params }) {
      const maxAge = params.get('max_age');
      if (maxAge !== undefined && !/^\d{1,10}$/.test(maxAge)) fail('invalid_request', 'max_age must be a non-negative integer number of seconds');
    },
  },
  {
    name: 'claims',
    check({ params, type, responseType }) {
      // OIDC Core §5.5: a JSON object whose userinfo and id_token members are objects of claim requests.
      const claims = parseClaimsParameter(params.get('claims'));
      // §5.5: "When the userinfo member is used, the request MUST also use a response_type value that results in an
      // Access Token being issued to the Client for use at the UserInfo Endpoint."
      if (claims?.userinfo && !type.issuesCode && !type.returnsAccessToken) {
        fail('invalid_request', `claims.userinfo cannot be used with response_type ${responseType}: no access token is issued`);
      }
      // §5.5.1.1: an essential acr that cannot be met "MUST [be treated] as a failed authentication attempt".
      const essential = essentialAcrValues(claims);
      if (essential.length > 0 && !essential.some(isAcrValue)) {
        fail('access_denied', `none of the essential acr values requested is supported (supported: see acr_values_supported)`);
      }
    },
  },
  {
    name: 'pairwise sector',
    check({ client }) {
      // OIDC Core §8.1: a pairwise client needs one sector; without it no sub can be computed (refused before login).
      if (client.metadata.subject_type === 'pairwise') sectorOf(client.metadata);
    },
  },
  ...fapi2AuthorizationChecks,
  {
    name: 'dpop_jkt',
    check({ params }) {
      // RFC 9449 §10: dpop_jkt is the base64url SHA-256 JWK thumbprint (RFC 7638) of the client's DPoP key.
      const jkt = params.get('dpop_jkt');
      if (jkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(jkt)) fail('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)');
    },
  },
];

/**
 * OIDC Dynamic Registration §2 default_max_age: "Specifies that the End-User MUST be actively authenticated if the
 * End-User was authenticated longer ago than the specified number of seconds"; max_age in the request overrides it.
 */
function effectiveMaxAge(sent: string | undefined, client: ClientRecord): number | undefined {
  if (sent !== undefined) return Number(sent);
  const fallback = client.metadata.default_max_age;
  return typeof fallback === 'number' && Number.isInteger(fallback) && fallback >= 0 ? fallback : undefined;
}

/**
 * Step 2 of the pipeline: everything after the client and redirect URI (step 1, `resolveRedirectTarget`).
 * Errors here are redirected to the client with `error`, `state` and `iss`.
 */
export function validateAuthorizationRequest(
  parsed: ParsedParams,
  target: RedirectTarget,
  policy: RequestPolicy = {},
  checks: readonly AuthorizationCheck[] = authorizationChecks,
): AuthorizationRequest {
  const { params } = parsed;
  const { client } = target;
  const input: CheckInput = { parsed, params, target, client, source: requestSource(parsed), policy, ...readResponseType(parsed, client) };
  for (const { check } of checks) check(input);

  return {
    client,
    redirectUri: target.redirectUri,
    redirectUriSent: params.has('redirect_uri'),
    responseType: input.normalized,
    responseMode: target.responseMode,
    scopes: requestedScopes(params),
    state: params.get('state'),
    nonce: params.get('nonce'),
    codeChallenge: params.get('code_challenge'),
    prompt: new Set(spaceList(params.get('prompt'))),
    maxAge: effectiveMaxAge(params.get('max_age'), client),
    loginHint: params.get('login_hint'),
    idTokenHint: params.get('id_token_hint'),
    uiLocales: params.get('ui_locales'),
    resource: requestedResource(parsed.multi.get('resource'), true),
    claims: parseClaimsParameter(params.get('claims')),
    dpopJkt: params.get('dpop_jkt'),
    params: Object.fromEntries(params),
  };
}
