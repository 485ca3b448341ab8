/**
 * Dynamic client registration: RFC 7591 (POST /register) and RFC 7592 (read, replace, delete at the
 * registration_client_uri), OpenID Connect Dynamic Client Registration 1.0. The metadata goes through the same
 * document reader and validator as an operator's (client-metadata*.ts), in `registration` mode: unknown members are
 * ignored, Latch's own are not the client's to set, and the client is marked `latch_registered` so that it never
 * gets the admin API or its scopes. The registration access token is stored as a digest and replaced on every PUT.
 */
import { OAuthError } from '../core/errors.js';
import { digest, randomToken } from '../core/tokens/hash.js';
import { recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type ClientRecord, type Store } from '../storage/types.js';
import { inputFromDocument } from './client-metadata-document.js';
import type { MetadataPolicy } from './client-metadata-members.js';
import { verifySectorIdentifier } from './client-metadata-sector.js';
import { buildClientMetadata, usesClientSecret } from './client-metadata.js';
import { clientToJson } from './clients.js';
import { AdminInputError } from './errors.js';
import { randomId } from './random-id.js';

export interface RegistrationOptions {
  issuer: string;
  /** `token`: an initial access token is required; `open`: anyone may register. */
  mode: 'token' | 'open';
  policy: MetadataPolicy;
  /** Where the request came from, for the audit trail. */
  address: string | null;
}

type RegistrationStore = Pick<Store, 'clients' | 'clientRegistrations' | 'registrationTokens' | 'events'>;

/** RFC 6750 §3: the challenge of a refused bearer token, with its error when there was one. */
function bearerError(description: string, code?: 'invalid_token'): OAuthError {
  const challenge = code ? `Bearer realm="latch", error="${code}", error_description="${description}"` : 'Bearer realm="latch"';
  return new OAuthError('invalid_token', description, { status: 401, headers: { 'WWW-Authenticate': challenge } });
}

/** RFC 7591 §3.2.2: an invalid redirect URI is `invalid_redirect_uri`; any other invalid member `invalid_client_metadata`. */
export function registrationError(err: unknown): unknown {
  if (!(err instanceof AdminInputError)) return err;
  const code = err.field === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  return new OAuthError(code, err.message);
}

export function registrationClientUri(issuer: string, clientId: string): string {
  return `${issuer}/register/${encodeURIComponent(clientId)}`;
}

function response(client: ClientRecord, issuer: string, extra: { clientSecret?: string | undefined; registrationAccessToken?: string }): Record<string, unknown> {
  const body = clientToJson(client, extra.clientSecret);
  delete body.previous_secret_expires_at;
  // RFC 7591 §3.2.1: client_secret_expires_at is REQUIRED whenever the client has a secret (0: it never expires).
  if (client.clientSecretDigest !== null) body.client_secret_expires_at = 0;
  if (extra.registrationAccessToken !== undefined) body.registration_access_token = extra.registrationAccessToken;
  body.registration_client_uri = registrationClientUri(issuer, client.clientId);
  return body;
}

function actor(clientId: string | null, address: string | null): Actor {
  return { sub: null, clientId, address };
}

/** RFC 7591 §3: registers a client from its metadata document; `initialToken` is the bearer value sent, if any. */
export async function registerClient(store: RegistrationStore, document: unknown, initialToken: string | undefined, options: RegistrationOptions, now: number): Promise<Record<string, unknown>> {
  const initialDigest = initialToken === undefined ? undefined : digest(initialToken);
  if (options.mode === 'token') {
    // RFC 7591 §3: the server may require an initial access token; without one the request is refused like any bearer request.
    if (initialDigest === undefined) throw bearerError('an initial access token is required to register a client (ask the operator of this server)');
    if (!(await store.registrationTokens.find(initialDigest, now))) throw bearerError('the initial access token is invalid, expired or used up', 'invalid_token');
  }
  let metadata;
  try {
    // RFC 7591 §2: a client never chooses its client_id; inputFromDocument ignores it in registration mode.
    const input = inputFromDocument(document, 'registration');
    input.registered = true;
    metadata = buildClientMetadata(input, options.policy);
    await verifySectorIdentifier(metadata, options.policy);
  } catch (err) {
    throw registrationError(err);
  }
  // Uses are counted only for a registration that passed every check: a refused one leaves the token as it was.
  if (options.mode === 'token' && !(await store.registrationTokens.use(initialDigest as string, now))) {
    throw bearerError('the initial access token is invalid, expired or used up', 'invalid_token');
  }
  const clientSecret = usesClientSecret(metadata.token_endpoint_auth_method) ? randomToken(32) : undefined;
  const registrationAccessToken = randomToken(32);
  const client: ClientRecord = { clientId: randomId(), clientSecretDigest: clientSecret === undefined ? null : digest(clientSecret), previousSecret: null, metadata, createdAt: now };
  try {
    await store.clients.create(client);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new OAuthError('temporarily_unavailable', 'please try again', { status: 503 });
    throw err;
  }
  await store.clientRegistrations.set(client.clientId, digest(registrationAccessToken), now);
  await recordEvent(store, { type: 'client.registered', by: actor(client.clientId, options.address), clientId: client.clientId, data: { client_name: metadata.client_name, kind: metadata.latch_client_kind, open: options.mode === 'open' } }, now);
  return response(client, options.issuer, { clientSecret, registrationAccessToken });
}

/**
 * RFC 7592 §2: the registration access token must be the one of the client named by the URL; a token of another
 * client, an unknown one or none answers 401 invalid_token (the client's existence is not revealed).
 */
async function authorizedClient(store: RegistrationStore, clientId: string, token: string | undefined): Promise<{ client: ClientRecord; tokenDigest: string }> {
  if (token === undefined) throw bearerError('the registration access token is required');
  const tokenDigest = digest(token);
  const owner = await store.clientRegistrations.findClientId(tokenDigest);
  if (owner === undefined || owner !== clientId) throw bearerError('the registration access token is invalid for this client', 'invalid_token');
  const client = await store.clients.find(clientId);
  if (!client) throw bearerError('the registration access token is invalid for this client', 'invalid_token');
  return { client, tokenDigest };
}

/** RFC 7592 §2.1: the client's current configuration (its secret cannot be shown again: only its digest is kept). */
export async function readRegistration(store: RegistrationStore, clientId: string, token: string | undefined, issuer: string): Promise<Record<string, unknown>> {
  const { client } = await authorizedClient(store, clientId, token);
  return response(client, issuer, {});
}

/**
 * RFC 7592 §2.2: the document replaces the client's metadata (members left out take their defaults); its client_id
 * must be the client's; a client_secret, if sent, must be the current one (the client cannot choose it). A new
 * registration access token is issued and the old one stops working.
 */
export async function replaceRegistration(
  store: RegistrationStore,
  clientId: string,
  token: string | undefined,
  document: unknown,
  options: RegistrationOptions,
  now: number,
): Promise<Record<string, unknown>> {
  const { client, tokenDigest } = await authorizedClient(store, clientId, token);
  const doc = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as Record<string, unknown>) : undefined;
  if (!doc) throw new OAuthError('invalid_client_metadata', 'metadata: must be a JSON object of client metadata (RFC 7591 §2)');
  // RFC 7592 §2.2: "The client MUST include its client_id field in the request, and it MUST be the same as its currently issued client identifier."
  if (doc.client_id !== clientId) throw new OAuthError('invalid_request', 'client_id: must be present and be this client\'s client_id');
  // RFC 7592 §2.2: "If the client includes the client_secret field in the request, the value of this field MUST match the currently issued client secret."
  if (doc.client_secret !== undefined && (typeof doc.client_secret !== 'string' || client.clientSecretDigest === null || digest(doc.client_secret) !== client.clientSecretDigest)) {
    throw new OAuthError('invalid_client_metadata', 'client_secret: the client cannot set its secret; leave it out or send the current one');
  }
  // RFC 7592 §2.2: the client MUST NOT send registration_access_token, registration_client_uri, client_secret_expires_at
  // or client_id_issued_at; one that sends back the whole GET answer anyway is not refused: they are ignored, as members
  // the client cannot set (inputFromDocument, registration mode).
  let metadata;
  try {
    // The kind stays the one the client registered as; so does its kind of authentication (secret or not).
    const input = inputFromDocument(doc, 'registration', { kind: client.metadata.latch_client_kind });
    input.registered = true;
    metadata = buildClientMetadata(input, options.policy);
    await verifySectorIdentifier(metadata, options.policy);
  } catch (err) {
    throw registrationError(err);
  }
  if (usesClientSecret(metadata.token_endpoint_auth_method) !== (client.clientSecretDigest !== null)) {
    throw new OAuthError('invalid_client_metadata', `token_endpoint_auth_method: ${metadata.token_endpoint_auth_method} changes whether the client has a secret; register a new client instead`);
  }
  const nextToken = randomToken(32);
  // Rotation first: of two concurrent updates with the same token, only one goes through.
  if (!(await store.clientRegistrations.rotate(clientId, tokenDigest, digest(nextToken), now))) {
    throw bearerError('the registration access token is invalid for this client', 'invalid_token');
  }
  await store.clients.update(clientId, { metadata });
  await recordEvent(store, { type: 'client.registration_updated', by: actor(clientId, options.address), clientId, data: { client_name: metadata.client_name } }, now);
  return response({ ...client, metadata }, options.issuer, { registrationAccessToken: nextToken });
}

/** RFC 7592 §2.3: deletes the client, everything issued to it and its registration access token. */
export async function deleteRegistration(store: RegistrationStore, clientId: string, token: string | undefined, address: string | null, now: number): Promise<void> {
  await authorizedClient(store, clientId, token);
  await store.clients.delete(clientId);
  await recordEvent(store, { type: 'client.registration_deleted', by: actor(clientId, address), clientId, data: {} }, now);
}
