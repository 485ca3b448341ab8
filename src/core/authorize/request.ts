import type { ClientRecord, ClientsRepository } from '../../storage/types.js';
import type { ClaimsRequest } from '../oidc/claims-request.js';
import { InvalidRequest, OAuthError } from '../errors.js';
import { collectParams, type ParsedParams, spaceList } from '../params.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';
import { defaultResponseMode, type RequestedResponseMode, type ResponseMode, resolveResponseMode, responseModes } from './response-types.js';

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
  /** OIDC Core §5.5: the parsed claims parameter, if sent. */
  claims?: ClaimsRequest | undefined;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to. */
  dpopJkt?: string | undefined;
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
      ? resolveResponseMode(requestedMode as RequestedResponseMode, responseType)
      : defaultResponseMode(responseType);
  return { client, redirectUri, responseMode, state: duplicates.includes('state') ? undefined : params.get('state') };
}

/** A stored request, read again when an interaction resumes (then re-validated: the client may have changed meanwhile). */
export function storedParams(request: Readonly<Record<string, string>>): ParsedParams {
  return collectParams(Object.entries(request));
}
