/**
 * A client metadata document (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2) as JSON: the CLI's
 * --metadata-file, the admin API's body and the body of POST /register all become a CreateClientInput here, so that
 * buildClientMetadata checks every one of them the same way.
 */
import type { ClientKind, TokenEndpointAuthMethod } from '../storage/types.js';
import { EXTENDED_MEMBERS } from './client-metadata-members.js';
import { DEVICE_CODE_GRANT, type CreateClientInput } from './client-metadata.js';
import { AdminInputError } from './errors.js';

/**
 * `operator` (CLI, admin API): an unknown member is a typo and refused; Latch's own members may be given.
 * `registration` (/register, RFC 7591 §2): "the authorization server MUST ignore any client metadata sent by the client
 * that it does not understand"; Latch's own `latch_*` members, client_id and client_secret are not the client's to set.
 */
export type DocumentMode = 'operator' | 'registration';

/** Members answered by the server, never part of what a client asks for (RFC 7591 §3.2.1, RFC 7592 §3). */
const SERVER_MEMBERS = ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri'];
const CORE_MEMBERS = [
  'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'scope', 'token_endpoint_auth_method',
  'jwks', 'id_token_signed_response_alg', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri', 'default_acr_values', 'application_type',
];
const OPERATOR_MEMBERS = ['latch_client_kind', 'latch_default_resource', 'allowed_cors_origins', 'client_id'];

/** Every member an operator's document may hold. */
export const KNOWN_MEMBERS: ReadonlySet<string> = new Set([...CORE_MEMBERS, ...EXTENDED_MEMBERS, ...OPERATOR_MEMBERS]);

function strings(field: string, value: unknown, max = 100): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new AdminInputError(field, 'must be an array of strings');
  if (value.length > max) throw new AdminInputError(field, `at most ${max} values`);
  return value as string[];
}

function text(field: string, value: unknown, max = 2048): string {
  if (typeof value !== 'string') throw new AdminInputError(field, 'must be a string');
  if (value.length > max) throw new AdminInputError(field, `is longer than ${max} characters`);
  return value;
}

/**
 * A registering client names no Latch kind: it follows from what it asks for. A native application_type is a
 * native app; a public web client (auth method none) is a browser app; only client_credentials is a machine; the
 * device grant is a device; anything else a web server.
 */
export function kindOf(doc: Record<string, unknown>): ClientKind {
  if (doc.application_type === 'native') {
    const grants = Array.isArray(doc.grant_types) ? doc.grant_types : [];
    return grants.includes(DEVICE_CODE_GRANT) && !grants.includes('authorization_code') ? 'device' : 'native';
  }
  const grants = Array.isArray(doc.grant_types) ? (doc.grant_types as unknown[]) : ['authorization_code'];
  if (grants.length > 0 && grants.every((g) => g === 'client_credentials')) return 'm2m';
  if (grants.includes(DEVICE_CODE_GRANT) && !grants.includes('authorization_code')) return 'device';
  return doc.token_endpoint_auth_method === 'none' ? 'spa' : 'web';
}

/**
 * The CreateClientInput of a metadata document. `base` holds what the caller already knows (the CLI's --name and
 * --type and flags); the document's members win over it. Only JSON types are checked here; values are checked by
 * buildClientMetadata.
 */
export function inputFromDocument(document: unknown, mode: DocumentMode, base: Partial<CreateClientInput> = {}): CreateClientInput {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new AdminInputError('metadata', 'must be a JSON object of client metadata (RFC 7591 §2)');
  }
  const doc = document as Record<string, unknown>;
  if (mode === 'operator') {
    const unknown = Object.keys(doc).filter((k) => !KNOWN_MEMBERS.has(k) && !SERVER_MEMBERS.includes(k));
    if (unknown.length > 0) throw new AdminInputError(unknown[0] as string, `is not a client metadata member Latch knows (${unknown.join(', ')}); check the spelling`);
    const answered = Object.keys(doc).filter((k) => SERVER_MEMBERS.includes(k) && k !== 'client_id');
    if (answered.length > 0) throw new AdminInputError(answered[0] as string, 'is set by Latch, not by the metadata document');
  }
  const has = (key: string) => doc[key] !== undefined && (mode === 'operator' || !key.startsWith('latch_'));
  const input: CreateClientInput = { name: base.name ?? '', kind: base.kind ?? kindOf(doc), ...base };
  if (has('latch_client_kind')) input.kind = text('latch_client_kind', doc.latch_client_kind) as ClientKind;
  if (has('client_name')) input.name = text('client_name', doc.client_name, 200);
  if (has('redirect_uris')) input.redirectUris = strings('redirect_uris', doc.redirect_uris);
  if (has('post_logout_redirect_uris')) input.postLogoutRedirectUris = strings('post_logout_redirect_uris', doc.post_logout_redirect_uris);
  if (has('grant_types')) {
    input.grantTypes = strings('grant_types', doc.grant_types, 10);
    if (!has('response_types')) delete input.responseTypes;
  }
  if (has('response_types')) input.responseTypes = strings('response_types', doc.response_types, 10);
  // RFC 7591 §2: scope is the whole list the client may use, so it replaces the kind's defaults.
  if (has('scope')) {
    input.scopes = [text('scope', doc.scope)];
    delete input.extraScopes;
  }
  if (has('token_endpoint_auth_method')) input.tokenEndpointAuthMethod = text('token_endpoint_auth_method', doc.token_endpoint_auth_method) as TokenEndpointAuthMethod;
  // RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic (a jwks alone does not make it private_key_jwt);
  // native apps and devices, which cannot keep a secret, stay public in Latch.
  else if (mode === 'registration' && (input.kind === 'web' || input.kind === 'm2m')) input.tokenEndpointAuthMethod = 'client_secret_basic';
  if (has('jwks')) input.jwks = doc.jwks as NonNullable<CreateClientInput['jwks']>;
  if (has('id_token_signed_response_alg')) input.idTokenSignedResponseAlg = text('id_token_signed_response_alg', doc.id_token_signed_response_alg);
  if (has('default_acr_values')) input.defaultAcrValues = strings('default_acr_values', doc.default_acr_values, 5);
  if (has('logo_uri')) input.logoUri = text('logo_uri', doc.logo_uri);
  if (has('client_uri')) input.clientUri = text('client_uri', doc.client_uri);
  if (has('policy_uri')) input.policyUri = text('policy_uri', doc.policy_uri);
  if (has('tos_uri')) input.tosUri = text('tos_uri', doc.tos_uri);
  if (has('allowed_cors_origins')) input.allowedCorsOrigins = strings('allowed_cors_origins', doc.allowed_cors_origins);
  if (mode === 'operator') {
    if (has('latch_default_resource')) input.defaultResource = text('latch_default_resource', doc.latch_default_resource);
    if (has('client_id')) input.clientId = text('client_id', doc.client_id, 128);
  }
  if (has('application_type')) {
    const type = doc.application_type;
    if (type !== 'web' && type !== 'native') throw new AdminInputError('application_type', `${JSON.stringify(type)} is not one of web, native`);
    const nativeKinds: ClientKind[] = ['native', 'device'];
    if ((type === 'native') !== nativeKinds.includes(input.kind)) {
      throw new AdminInputError('application_type', `${type} does not fit a ${input.kind} client (native and device clients are native, the others web)`);
    }
  }
  const members: Record<string, unknown> = { ...(base.members ?? {}) };
  for (const key of EXTENDED_MEMBERS) if (has(key)) members[key] = doc[key];
  input.members = members;
  return input;
}

/** The members `latch clients update --metadata-file` may change (the others are fixed at creation). */
const PATCHABLE = ['client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'scope', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri', 'allowed_cors_origins', 'default_acr_values'];

/**
 * An operator's partial document as a change of a client (clients.ts ClientPatch): the members it names replace
 * the client's, null removes an optional one; unknown members and those fixed at creation are refused by name.
 */
export function patchFromDocument(document: unknown): { patch: Record<string, unknown>; members: Record<string, unknown> } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new AdminInputError('metadata', 'must be a JSON object of client metadata (RFC 7591 §2)');
  }
  const patch: Record<string, unknown> = {};
  const members: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
    if ((EXTENDED_MEMBERS as readonly string[]).includes(key)) members[key] = value;
    else if (PATCHABLE.includes(key)) patch[key] = value;
    else if (KNOWN_MEMBERS.has(key) || SERVER_MEMBERS.includes(key)) throw new AdminInputError(key, 'cannot be changed by an update; it is fixed when the client is created');
    else throw new AdminInputError(key, 'is not a client metadata member Latch knows; check the spelling');
  }
  for (const key of ['redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'allowed_cors_origins', 'default_acr_values']) {
    if (patch[key] !== undefined) strings(key, patch[key]);
  }
  for (const key of ['client_name', 'scope']) if (patch[key] !== undefined) text(key, patch[key]);
  for (const key of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri']) if (patch[key] !== undefined && patch[key] !== null) text(key, patch[key]);
  return { patch, members };
}
