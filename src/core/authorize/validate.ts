import type { ClientRecord } from '../../storage/types.js';
import { InvalidScope, OAuthError, UnauthorizedClient } from '../errors.js';
import { type ParsedParams, type Params, rejectDuplicates, spaceList } from '../params.js';
import { s256ChallengePattern } from '../pkce.js';
import { requestedResource } from '../tokens/resource.js';
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
}

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
  // OIDC Core §6: request objects are optional; say so with the dedicated codes.
  if (params.has('request')) fail('request_not_supported', 'the request parameter is not supported');
  if (params.has('request_uri')) fail('request_uri_not_supported', 'the request_uri parameter is not supported');
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
      if (target.responseMode === 'query' && type.returnsTokens) {
        fail('invalid_request', `response_mode=query is not allowed with response_type ${responseType}`);
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
    name: 'dpop_jkt',
    check({ params }) {
      // RFC 9449 §10: dpop_jkt is the base64url SHA-256 JWK thumbprint (RFC 7638) of the client's DPoP key.
      const jkt = params.get('dpop_jkt');
      if (jkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(jkt)) fail('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)');
    },
  },
];

/**
 * Step 2 of the pipeline: everything after the client and redirect URI (step 1, `resolveRedirectTarget`).
 * Errors here are redirected to the client with `error`, `state` and `iss`.
 */
export function validateAuthorizationRequest(
  parsed: ParsedParams,
  target: RedirectTarget,
  checks: readonly AuthorizationCheck[] = authorizationChecks,
): AuthorizationRequest {
  const { params } = parsed;
  const { client } = target;
  const input: CheckInput = { parsed, params, target, client, ...readResponseType(parsed, client) };
  for (const { check } of checks) check(input);

  const maxAge = params.get('max_age');
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
    maxAge: maxAge === undefined ? undefined : Number(maxAge),
    loginHint: params.get('login_hint'),
    idTokenHint: params.get('id_token_hint'),
    uiLocales: params.get('ui_locales'),
    resource: requestedResource(parsed.multi.get('resource'), true),
    dpopJkt: params.get('dpop_jkt'),
    params: Object.fromEntries(params),
  };
}
