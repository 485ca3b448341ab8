import type { KeyRing } from '../../keys/types.js';
import type { ClientRecord, ClientsRepository } from '../../storage/types.js';
import { InvalidRequest } from '../errors.js';
import type { Params } from '../params.js';
import { JWT_ACCESS_TOKEN_TYPE } from '../tokens/jwt-access-token.js';
import type { SessionClient } from './backchannel-logout.js';

export interface LogoutRequest {
  client: ClientRecord | undefined;
  /** Subject and session of a valid id_token_hint. */
  hint: { sub: string; sid: string | undefined } | undefined;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
}

/** OpenID Connect RP-Initiated Logout 1.0 §2 and §3. */
export async function validateLogoutRequest(
  params: Params,
  deps: { clients: Pick<ClientsRepository, 'find'>; keys: Pick<KeyRing, 'verify'>; issuer: string },
): Promise<LogoutRequest> {
  let hint: LogoutRequest['hint'];
  let hintAudience: string | undefined;
  const idTokenHint = params.get('id_token_hint');
  if (idTokenHint) {
    try {
      // §2: "The OP need not be listed as an audience of the ID Token when it is used as an id_token_hint value",
      // and an expired ID token is still a valid hint.
      const { payload, protectedHeader } = await deps.keys.verify(idTokenHint, { allowExpired: true });
      // RFC 9068 §2.1: a JWT access token (typ at+jwt) is not an ID token.
      if (payload.iss === deps.issuer && typeof payload.sub === 'string' && protectedHeader.typ !== JWT_ACCESS_TOKEN_TYPE) {
        hint = { sub: payload.sub, sid: typeof payload.sid === 'string' ? payload.sid : undefined };
        hintAudience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      }
    } catch {
      hint = undefined;
    }
  }
  const clientId = params.get('client_id');
  if (clientId && hintAudience && clientId !== hintAudience) {
    throw new InvalidRequest('client_id does not match the audience of id_token_hint');
  }
  const resolvedClientId = clientId ?? hintAudience;
  const client = resolvedClientId ? await deps.clients.find(resolvedClientId) : undefined;
  if (clientId && !client) throw new InvalidRequest('unknown client_id');

  const postLogoutRedirectUri = params.get('post_logout_redirect_uri');
  if (postLogoutRedirectUri !== undefined) {
    // §3: the URI must have been registered by the client (exact match); without a client it cannot be checked.
    if (!client) throw new InvalidRequest('post_logout_redirect_uri requires id_token_hint or client_id');
    if (!client.metadata.post_logout_redirect_uris.includes(postLogoutRedirectUri)) {
      throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
    }
  }
  return { client, hint, postLogoutRedirectUri, state: params.get('state') };
}

/** Where to send the browser after logout, with `state` (§3). */
export function postLogoutLocation(request: LogoutRequest): string | undefined {
  if (!request.postLogoutRedirectUri) return undefined;
  const url = new URL(request.postLogoutRedirectUri);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  return url.href;
}

/**
 * OpenID Connect Front-Channel Logout 1.0 §4: the URL to render in an iframe for each client of the ended session
 * that registered a frontchannel_logout_uri (http or https only), once per client.
 */
export function frontchannelLogoutUrls(clients: readonly SessionClient[], issuer: string): string[] {
  const seen = new Set<string>();
  const urls: string[] = [];
  for (const { client, sid } of clients) {
    const uri = client.metadata.frontchannel_logout_uri;
    if (!uri || seen.has(client.clientId)) continue;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      continue;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
    seen.add(client.clientId);
    // §2: with frontchannel_logout_session_required, the OP adds iss and sid ("If either is included, both MUST be").
    if (client.metadata.frontchannel_logout_session_required === true && sid !== null) {
      url.searchParams.set('iss', issuer);
      url.searchParams.set('sid', sid);
    }
    urls.push(url.href);
  }
  return urls;
}
