import type { ClientRecord, Store } from '../../storage/types.js';
import { InvalidRequest, UnauthorizedClient } from '../errors.js';
import { type Params, required } from '../params.js';
import { findUsableToken } from './opaque.js';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/** RFC 7662 §2: token introspection for authenticated confidential clients (resource servers). */
export async function introspect(
  caller: ClientRecord,
  params: Params,
  deps: { store: Pick<Store, 'tokens'>; issuer: string; now: number },
): Promise<IntrospectionResponse> {
  if (caller.metadata.token_endpoint_auth_method === 'none') {
    throw new UnauthorizedClient('public clients may not use token introspection');
  }
  const token = required(params, 'token');
  // RFC 7662 §2.1: token_type_hint only speeds up the search; Latch finds any token by its digest.
  if (token.length > 4096) throw new InvalidRequest('token is too long');
  const record = await findUsableToken(token, deps.store.tokens, deps.now);
  if (!record) return { active: false };
  // RFC 7662 §2.2
  const response: Record<string, unknown> = {
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    token_type: record.kind === 'access_token' ? 'Bearer' : 'refresh_token',
    exp: record.expiresAt,
    iat: record.createdAt,
    iss: deps.issuer,
  };
  // RFC 9068 §2.2: without a resource owner the subject is the client, as in the JWT form of the same token.
  response.sub = record.sub ?? record.clientId;
  if (record.audience) response.aud = record.audience;
  return response as IntrospectionResponse;
}
