import type { ClientRecord, Store, TokenRecord } from '../../storage/types.js';
import { InvalidRequest, UnauthorizedClient } from '../errors.js';
import { type Params, required } from '../params.js';
import { acrFor } from '../accounts/acr.js';
import { findUsableToken } from './opaque.js';
import { amrOf } from './authentication-data.js';
import { subjectFor } from '../oidc/pairwise.js';
import { isActClaim } from './act.js';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * RFC 7662 §4: "the authorization server MAY respond differently to different protected resources making the same
 * request". Latch answers about a token only to the client it was issued to, and about an access token for an API
 * to the clients that API allows to introspect (its resource servers); to anyone else the token is inactive.
 */
async function mayIntrospect(caller: ClientRecord, record: TokenRecord, apis: Pick<Store['apis'], 'find'>): Promise<boolean> {
  if (record.clientId === caller.clientId) return true;
  if (record.kind !== 'access_token' || !record.audience) return false;
  const api = await apis.find(record.audience);
  return api?.introspectionClients.includes(caller.clientId) ?? false;
}

/**
 * The token `value` as introspection sees it for `caller`: usable now (active, of a live grant) and one the caller
 * may be told about; undefined otherwise. Token exchange (RFC 8693) reads its subject and actor tokens through it.
 */
export async function introspectableToken(
  caller: ClientRecord,
  value: string,
  deps: { store: Pick<Store, 'tokens' | 'apis'>; now: number },
): Promise<TokenRecord | undefined> {
  const record = await findUsableToken(value, deps.store.tokens, deps.now);
  return record && (await mayIntrospect(caller, record, deps.store.apis)) ? record : undefined;
}

/** RFC 7662 §2: token introspection for authenticated confidential clients (resource servers). */
export async function introspect(
  caller: ClientRecord,
  params: Params,
  deps: { store: Pick<Store, 'tokens' | 'apis' | 'clients'>; issuer: string; now: number; /** OIDC Core §8.1 */ pairwiseSalt: Buffer },
): Promise<IntrospectionResponse> {
  if (caller.metadata.token_endpoint_auth_method === 'none') {
    throw new UnauthorizedClient('public clients may not use token introspection');
  }
  const token = required(params, 'token');
  // RFC 7662 §2.1: token_type_hint only speeds up the search; Latch finds any token by its digest.
  if (token.length > 4096) throw new InvalidRequest('token is too long');
  const record = await introspectableToken(caller, token, deps);
  if (!record) return { active: false };
  // RFC 7662 §2.2
  const response: Record<string, unknown> = {
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    // RFC 9449 §6.2: a DPoP-bound access token is introspected with token_type DPoP.
    token_type: record.kind === 'access_token' ? (record.jkt === undefined ? 'Bearer' : 'DPoP') : 'refresh_token',
    exp: record.expiresAt,
    iat: record.createdAt,
    iss: deps.issuer,
  };
  // RFC 9068 §2.2: without a resource owner the subject is the client, as in the JWT form of the same token.
  response.sub = record.sub ?? record.clientId;
  // OIDC Core §8: the person as the token's client knows them (its pairwise sub), as node-oidc-provider does.
  if (record.sub) {
    const owner = record.clientId === caller.clientId ? caller : await deps.store.clients.find(record.clientId);
    if (owner) response.sub = subjectFor(owner, record.sub, deps.pairwiseSalt);
  }
  if (record.audience) response.aud = record.audience;
  // RFC 9449 §6.2: the thumbprint of the key the token is bound to, as in a JWT access token's cnf.
  if (record.jkt !== undefined) response.cnf = { jkt: record.jkt };
  // How the person authenticated, as the ID token and a JWT access token say it (RFC 9068 §2.2.1).
  if (typeof record.data.auth_time === 'number') response.auth_time = record.data.auth_time;
  const amr = amrOf(record.data);
  if (amr) {
    response.acr = acrFor(amr);
    response.amr = amr;
  }
  // RFC 8693 §4.1: a token issued by token exchange for an actor states it (and the actors before it).
  if (isActClaim(record.data.act)) response.act = record.data.act;
  return response as IntrospectionResponse;
}
