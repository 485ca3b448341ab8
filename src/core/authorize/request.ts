import type { ClientRecord, ClientsRepository } from '../../storage/types.js';
import { InvalidRequest, InvalidScope, OAuthError, UnauthorizedClient } from '../errors.js';
import { type ParsedParams, type Params, rejectDuplicates, spaceList } from '../params.js';
import { s256ChallengePattern } from '../pkce.js';
import { requestedResource } from '../tokens/resource.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';
import { defaultResponseMode, type ResponseMode, responseModes, responseTypes } from './response-types.js';

export interface AuthorizationRequest {
  client: ClientRecord;
  redirectUri: string;
  /** Whether redirect_uri was sent (RFC 6749 §4.1.3 then requires it at the token endpoint). */
  redirectUriSent: boolean;
  responseType: string;
  responseMode: ResponseMode;
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  prompt: ReadonlySet<string>;
  maxAge: number | undefined;
  loginHint: string | undefined;
  idTokenHint: string | undefined;
  uiLocales: string | undefined;
  /** RFC 8707: the API the access token is requested for (checked against the registered APIs before issuing). */
  resource: string | undefined;
  /** The validated parameters, kept to resume the request after an interaction. */
  params: Record<string, string>;
}

/** What an error response needs to reach the client once client and redirect URI are trusted. */
export interface RedirectTarget {
  client: ClientRecord;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
}

const promptValues = new Set(['none', 'login', 'consent', 'select_account']);

/**
 * Step 1: the client and its redirect URI. Errors here are never redirected (RFC 6749 §4.1.2.1: "the
 * authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect").
 */
export async function resolveRedirectTarget(parsed: ParsedParams, clients: Pick<ClientsRepository, 'find'>): Promise<RedirectTarget> {
  const { params, duplicates } = parsed;
  for (const name of ['client_id', 'redirect_uri']) {
    if (duplicates.includes(name)) throw new InvalidRequest(`parameter included more than once: ${name}`);
  }
  const clientId = params.get('client_id');
  if (!clientId) throw new InvalidRequest('missing required parameter: client_id');
  const client = await clients.find(clientId);
  if (!client) throw new OAuthError('invalid_client', 'unknown client_id', { status: 400 });

  let redirectUri = params.get('redirect_uri');
  if (redirectUri === undefined) {
    const registered = client.metadata.redirect_uris;
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED; RFC 6749 §3.1.2.3 allows omitting it with exactly one registered.
    if (spaceList(params.get('scope')).includes('openid') || registered.length !== 1) {
      throw new InvalidRequest('missing required parameter: redirect_uri');
    }
    redirectUri = registered[0] as string;
  } else if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client (exact match required)', { status: 400 });
  }
  const requestedMode = params.get('response_mode');
  const responseType = params.get('response_type') ?? '';
  const responseMode =
    requestedMode && (responseModes as readonly string[]).includes(requestedMode)
      ? (requestedMode as ResponseMode)
      : defaultResponseMode(responseType);
  return { client, redirectUri, responseMode, state: duplicates.includes('state') ? undefined : params.get('state') };
}

function fail(code: ConstructorParameters<typeof OAuthError>[0], description: string): never {
  throw new OAuthError(code, description, { redirectable: true });
}

/** Step 2: everything else. Errors here are redirected to the client with `error`, `state` and `iss`. */
export function validateAuthorizationRequest(parsed: ParsedParams, target: RedirectTarget): AuthorizationRequest {
  rejectDuplicates(parsed, true);
  const { params } = parsed;
  const { client } = target;

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
  // RFC 7591 §2.1: the response type's grant types must be registered too (implicit for tokens from this endpoint).
  const missingGrant = type.grantTypes.find((grant) => !client.metadata.grant_types.includes(grant));
  if (missingGrant) {
    throw new UnauthorizedClient(`this client is not allowed to use the ${missingGrant} grant`, { redirectable: true });
  }

  const requestedMode = params.get('response_mode');
  if (requestedMode !== undefined && !(responseModes as readonly string[]).includes(requestedMode)) {
    fail('invalid_request', `response_mode ${requestedMode} is not supported`);
  }
  const responseMode = target.responseMode;
  // OAuth 2.0 Multiple Response Types §5: tokens must not be returned in the query string.
  if (responseMode === 'query' && type.returnsTokens) {
    fail('invalid_request', `response_mode=query is not allowed with response_type ${responseType}`);
  }

  const scopeParam = params.get('scope');
  // RFC 6749 §3.3: without a default scope, a request without scope fails with invalid_scope.
  if (!scopeParam) fail('invalid_scope', 'scope is required');
  const scopes = [...new Set(spaceList(scopeParam))];
  const allowed = spaceList(client.metadata.scope);
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`, { redirectable: true });
  if (type.requiresOpenId && !scopes.includes('openid')) fail('invalid_scope', `response_type ${responseType} requires the openid scope`);

  const nonce = params.get('nonce');
  // OIDC Core §3.2.2.1: nonce is REQUIRED when an ID token is returned from the authorization endpoint.
  if (type.requiresNonce && !nonce) fail('invalid_request', `nonce is required for response_type ${responseType}`);

  const codeChallenge = checkPkce(params, client, type.issuesCode);

  const prompt = new Set(spaceList(params.get('prompt')));
  for (const value of prompt) {
    if (!promptValues.has(value)) fail('invalid_request', `unsupported prompt value: ${value}`);
  }
  // OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
  if (prompt.has('none') && prompt.size > 1) fail('invalid_request', 'prompt=none must not be combined with other values');

  // RFC 8707 §2: an absolute URI without fragment; Latch takes one per request (invalid_target otherwise).
  const resource = requestedResource(parsed.multi.get('resource'), true);

  let maxAge: number | undefined;
  const maxAgeParam = params.get('max_age');
  if (maxAgeParam !== undefined) {
    if (!/^\d{1,10}$/.test(maxAgeParam)) fail('invalid_request', 'max_age must be a non-negative integer number of seconds');
    maxAge = Number(maxAgeParam);
  }

  return {
    client,
    redirectUri: target.redirectUri,
    redirectUriSent: params.has('redirect_uri'),
    responseType: normalized,
    responseMode,
    scopes,
    state: params.get('state'),
    nonce,
    codeChallenge,
    prompt,
    maxAge,
    loginHint: params.get('login_hint'),
    idTokenHint: params.get('id_token_hint'),
    uiLocales: params.get('ui_locales'),
    resource,
    params: Object.fromEntries(params),
  };
}

function checkPkce(params: Params, client: ClientRecord, issuesCode: boolean): string | undefined {
  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) fail('invalid_request', 'code_challenge_method given without code_challenge');
    // RFC 9700 §2.1.1 / RFC 8252 §8.1: public clients MUST use PKCE.
    if (issuesCode && client.metadata.token_endpoint_auth_method === 'none') {
      fail('invalid_request', 'PKCE is required for public clients: send code_challenge with code_challenge_method=S256');
    }
    return undefined;
  }
  // RFC 7636 §4.3: the method defaults to "plain" when absent; Latch accepts only S256 (RFC 9700 §2.1.1).
  if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256 (plain is not allowed)');
  if (!s256ChallengePattern.test(challenge)) fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
  return challenge;
}
