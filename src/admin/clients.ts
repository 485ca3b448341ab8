import { digest, randomToken } from '../core/tokens/hash.js';
import { CLI_ACTOR, recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type ClientRecord, type Page, type PageQuery, type Store } from '../storage/types.js';
import { CONSOLE_CLIENT_ID } from './builtins.js';
import { EXTENDED_MEMBERS, type MetadataPolicy } from './client-metadata-members.js';
import { verifySectorIdentifier } from './client-metadata-sector.js';
import { buildClientMetadata, CLIENT_ID, type CreateClientInput, usesClientSecret } from './client-metadata.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { randomId } from './random-id.js';

export * from './client-metadata.js';
export { inputFromDocument, KNOWN_MEMBERS, patchFromDocument, type DocumentMode } from './client-metadata-document.js';
export { EXTENDED_MEMBERS, type MetadataPolicy } from './client-metadata-members.js';
export { AdminInputError, AdminNotFoundError } from './errors.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** The longest grace period of a rotated secret: 30 days, time enough to roll a new secret out everywhere. */
export const MAX_SECRET_GRACE = 30 * 24 * 3600;

export async function createClient(
  store: Store,
  input: CreateClientInput,
  now = nowSeconds(),
  by: Actor = CLI_ACTOR,
  policy: MetadataPolicy = {},
): Promise<{ client: ClientRecord; clientSecret?: string }> {
  const metadata = buildClientMetadata(input, policy);
  await verifySectorIdentifier(metadata, policy);
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
  await recordEvent(store, { type: 'client.created', by, clientId, data: { client_name: metadata.client_name, kind: metadata.latch_client_kind } }, now);
  return clientSecret === undefined ? { client } : { client, clientSecret };
}

export async function getClient(store: Pick<Store, 'clients'>, clientId: string): Promise<ClientRecord> {
  const client = await store.clients.find(clientId);
  if (!client) throw new AdminNotFoundError('client', clientId);
  return client;
}

/** Oldest first; `q` searches client_id and client_name. */
export function listClients(store: Pick<Store, 'clients'>, query: PageQuery): Promise<Page<ClientRecord>> {
  return store.clients.page(query);
}

/** The console is Latch's own: ensureBuiltins rewrites it at every start, and the console needs it to sign in. */
function refuseBuiltin(clientId: string, what: string): void {
  if (clientId === CONSOLE_CLIENT_ID) {
    throw new AdminInputError('client_id', `${CONSOLE_CLIENT_ID} is the built-in console client; it cannot be ${what}`);
  }
}

/** Deletes the client and everything issued to it; returns the deleted client. */
export async function deleteClient(store: Store, clientId: string, by: Actor = CLI_ACTOR, now = nowSeconds()): Promise<ClientRecord> {
  refuseBuiltin(clientId, 'deleted');
  const client = await store.clients.find(clientId);
  if (!client || !(await store.clients.delete(clientId))) throw new AdminNotFoundError('client', clientId);
  await recordEvent(store, { type: 'client.deleted', by, clientId, data: { client_name: client.metadata.client_name } }, now);
  return client;
}

/** What an operator may change of a client, in RFC 7591 names; null removes an optional URL. */
export interface ClientPatch {
  client_name?: string | undefined;
  redirect_uris?: string[] | undefined;
  post_logout_redirect_uris?: string[] | undefined;
  grant_types?: string[] | undefined;
  response_types?: string[] | undefined;
  /** Space-separated, exactly the client's scopes. */
  scope?: string | undefined;
  logo_uri?: string | null | undefined;
  client_uri?: string | null | undefined;
  policy_uri?: string | null | undefined;
  tos_uri?: string | null | undefined;
  allowed_cors_origins?: string[] | undefined;
  /** An empty list removes them. */
  default_acr_values?: string[] | undefined;
  /** Other members (client-metadata-members.ts) by RFC 7591 / OIDC name, checked there; null removes one. */
  members?: Record<string, unknown> | undefined;
}

/** The creation input that gives the client's current metadata, so that an edit is checked like a creation. */
function inputOf(client: ClientRecord): CreateClientInput {
  const m = client.metadata;
  const input: CreateClientInput = {
    name: m.client_name,
    kind: m.latch_client_kind,
    redirectUris: m.redirect_uris,
    postLogoutRedirectUris: m.post_logout_redirect_uris,
    grantTypes: m.grant_types,
    responseTypes: m.response_types,
    scopes: [m.scope],
    tokenEndpointAuthMethod: m.token_endpoint_auth_method,
    idTokenSignedResponseAlg: m.id_token_signed_response_alg,
  };
  if (m.jwks) input.jwks = m.jwks;
  if (m.latch_default_resource !== undefined) input.defaultResource = m.latch_default_resource;
  if (m.allowed_cors_origins !== undefined) input.allowedCorsOrigins = m.allowed_cors_origins;
  if (m.default_acr_values !== undefined) input.defaultAcrValues = m.default_acr_values;
  if (m.logo_uri !== undefined) input.logoUri = m.logo_uri;
  if (m.client_uri !== undefined) input.clientUri = m.client_uri;
  if (m.policy_uri !== undefined) input.policyUri = m.policy_uri;
  if (m.tos_uri !== undefined) input.tosUri = m.tos_uri;
  if (m.latch_profile !== undefined) input.profile = m.latch_profile;
  const members: Record<string, unknown> = {};
  for (const key of EXTENDED_MEMBERS) if (m[key] !== undefined) members[key] = m[key];
  input.members = members;
  if (m.latch_registered === true) input.registered = true;
  return input;
}

/** The creation input of a stored client (its metadata as it is), e.g. to check a replacement against it. */
export function clientInput(client: ClientRecord): CreateClientInput {
  return inputOf(client);
}

/**
 * Changes what `patch` gives (RFC 7591 names) and checks the result exactly like a new client
 * (client-metadata.ts), so that no edit makes a client that could not have been created. Nothing is written
 * when a check fails.
 */
export async function updateClient(
  store: Store,
  clientId: string,
  patch: ClientPatch,
  by: Actor = CLI_ACTOR,
  now = nowSeconds(),
  policy: MetadataPolicy = {},
): Promise<ClientRecord> {
  refuseBuiltin(clientId, 'changed');
  const client = await getClient(store, clientId);
  const fields = Object.keys(patch).filter((k) => patch[k as keyof ClientPatch] !== undefined).sort();
  // Nothing asked, nothing changed (and nothing to record).
  if (fields.length === 0) return client;
  const input = inputOf(client);
  if (patch.client_name !== undefined) input.name = patch.client_name;
  if (patch.redirect_uris !== undefined) input.redirectUris = patch.redirect_uris;
  if (patch.post_logout_redirect_uris !== undefined) input.postLogoutRedirectUris = patch.post_logout_redirect_uris;
  if (patch.grant_types !== undefined) {
    input.grantTypes = patch.grant_types;
    // New grant types without new response types: the kind's defaults for them, as at creation.
    if (patch.response_types === undefined) delete input.responseTypes;
  }
  if (patch.response_types !== undefined) input.responseTypes = patch.response_types;
  if (patch.scope !== undefined) input.scopes = [patch.scope];
  if (patch.allowed_cors_origins !== undefined) input.allowedCorsOrigins = patch.allowed_cors_origins;
  if (patch.default_acr_values !== undefined) input.defaultAcrValues = patch.default_acr_values;
  const uris = { logo_uri: 'logoUri', client_uri: 'clientUri', policy_uri: 'policyUri', tos_uri: 'tosUri' } as const;
  for (const [field, key] of Object.entries(uris) as [keyof typeof uris, (typeof uris)[keyof typeof uris]][]) {
    const value = patch[field];
    if (value === null) delete input[key];
    else if (value !== undefined) input[key] = value;
  }
  if (patch.members !== undefined) {
    const members = { ...input.members };
    for (const [key, value] of Object.entries(patch.members)) {
      if (value === null) delete members[key];
      else members[key] = value;
    }
    input.members = members;
  }
  const metadata = buildClientMetadata(input, policy);
  await verifySectorIdentifier(metadata, policy);
  if (!(await store.clients.update(clientId, { metadata }))) throw new AdminNotFoundError('client', clientId);
  await recordEvent(store, { type: 'client.updated', by, clientId, data: { fields } }, now);
  return { ...client, metadata };
}

/**
 * A new client secret, returned once (only its digest is kept). With a grace period the old secret keeps
 * working until it ends (core/client-auth/client-secret.ts), so running apps can move to the new one; with 0
 * (the default) it stops at once.
 */
export async function rotateClientSecret(
  store: Store,
  clientId: string,
  options: { graceSeconds?: number } = {},
  by: Actor = CLI_ACTOR,
  now = nowSeconds(),
): Promise<{ client: ClientRecord; clientSecret: string }> {
  const graceSeconds = options.graceSeconds ?? 0;
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_SECRET_GRACE) {
    throw new AdminInputError('grace_seconds', `must be a whole number of seconds from 0 to ${MAX_SECRET_GRACE}`);
  }
  const client = await getClient(store, clientId);
  if (!usesClientSecret(client.metadata.token_endpoint_auth_method) || client.clientSecretDigest === null) {
    throw new AdminInputError(
      'token_endpoint_auth_method',
      `client ${clientId} authenticates with ${client.metadata.token_endpoint_auth_method}, not with a client secret`,
    );
  }
  const clientSecret = randomToken(32);
  const previousSecret = graceSeconds > 0 ? { digest: client.clientSecretDigest, expiresAt: now + graceSeconds } : null;
  const clientSecretDigest = digest(clientSecret);
  if (!(await store.clients.update(clientId, { clientSecretDigest, previousSecret }))) throw new AdminNotFoundError('client', clientId);
  await recordEvent(store, { type: 'client.secret_rotated', by, clientId, data: { grace_seconds: graceSeconds } }, now);
  return { client: { ...client, clientSecretDigest, previousSecret }, clientSecret };
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
  out.scope = m.scope;
  out.application_type = m.application_type;
  out.id_token_signed_response_alg = m.id_token_signed_response_alg;
  if (m.jwks) out.jwks = m.jwks;
  out.latch_client_kind = m.latch_client_kind;
  if (m.latch_default_resource !== undefined) out.latch_default_resource = m.latch_default_resource;
  if (m.allowed_cors_origins !== undefined) out.allowed_cors_origins = m.allowed_cors_origins;
  if (m.default_acr_values !== undefined) out.default_acr_values = m.default_acr_values;
  if (m.latch_profile !== undefined) out.latch_profile = m.latch_profile;
  for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    if (m[field] !== undefined) out[field] = m[field];
  }
  for (const field of EXTENDED_MEMBERS) if (m[field] !== undefined) out[field] = m[field];
  if (m.latch_registered === true) out.latch_registered = true;
  if (client.previousSecret) out.previous_secret_expires_at = client.previousSecret.expiresAt;
  return out;
}
