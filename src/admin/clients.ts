import { digest, randomToken } from '../core/tokens/hash.js';
import { StorageConflictError, type ClientRecord, type Store } from '../storage/types.js';
import { buildClientMetadata, CLIENT_ID, type CreateClientInput, usesClientSecret } from './client-metadata.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { randomId } from './random-id.js';

export * from './client-metadata.js';
export { AdminInputError, AdminNotFoundError } from './errors.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function createClient(
  store: Store,
  input: CreateClientInput,
  now = nowSeconds(),
): Promise<{ client: ClientRecord; clientSecret?: string }> {
  const metadata = buildClientMetadata(input);
  const resource = metadata.latch_default_resource;
  if (resource !== undefined && !(await store.apis.find(resource))) {
    throw new AdminInputError('latch_default_resource', `no API has the identifier ${resource}; create it first (latch apis create)`);
  }
  const clientId = input.clientId ?? randomId();
  if (!CLIENT_ID.test(clientId)) {
    throw new AdminInputError('client_id', 'must be 1 to 128 characters from A-Z a-z 0-9 . _ ~ -');
  }
  // Never store a bearer value: only the digest of the 256-bit secret is kept.
  const clientSecret = usesClientSecret(metadata.token_endpoint_auth_method) ? randomToken(32) : undefined;
  const client: ClientRecord = {
    clientId,
    clientSecretDigest: clientSecret === undefined ? null : digest(clientSecret),
    previousSecret: null,
    metadata,
    createdAt: now,
  };
  try {
    await store.clients.create(client);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new AdminInputError('client_id', `a client with id ${clientId} already exists`);
    throw err;
  }
  return clientSecret === undefined ? { client } : { client, clientSecret };
}

/** Deletes the client and everything issued to it; returns the deleted client. */
export async function deleteClient(store: Store, clientId: string): Promise<ClientRecord> {
  const client = await store.clients.find(clientId);
  if (!client || !(await store.clients.delete(clientId))) throw new AdminNotFoundError('client', clientId);
  return client;
}

/** RFC 7591 §3.2.1 client information response (client_secret only when just issued). */
export function clientToJson(client: ClientRecord, clientSecret?: string): Record<string, unknown> {
  const m = client.metadata;
  const out: Record<string, unknown> = { client_id: client.clientId };
  if (clientSecret !== undefined) {
    out.client_secret = clientSecret;
    out.client_secret_expires_at = 0;
  }
  out.client_id_issued_at = client.createdAt;
  out.client_name = m.client_name;
  out.redirect_uris = m.redirect_uris;
  out.post_logout_redirect_uris = m.post_logout_redirect_uris;
  out.grant_types = m.grant_types;
  out.response_types = m.response_types;
  out.token_endpoint_auth_method = m.token_endpoint_auth_method;
  if (m.token_endpoint_auth_signing_alg !== undefined) out.token_endpoint_auth_signing_alg = m.token_endpoint_auth_signing_alg;
  out.scope = m.scope;
  out.application_type = m.application_type;
  out.id_token_signed_response_alg = m.id_token_signed_response_alg;
  if (m.jwks) out.jwks = m.jwks;
  out.latch_client_kind = m.latch_client_kind;
  if (m.latch_default_resource !== undefined) out.latch_default_resource = m.latch_default_resource;
  if (m.allowed_cors_origins !== undefined) out.allowed_cors_origins = m.allowed_cors_origins;
  return out;
}
