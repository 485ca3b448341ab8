/**
 * Client metadata (RFC 7591 names): the defaults of each kind of client and every check of what an operator or a
 * client asks for, in one place, so that every way of making a client validates it the same way.
 */
import type { JWK } from 'jose';
import { ACR_VALUES_SUPPORTED, isAcrValue } from '../core/accounts/acr.js';
import { fapi2Contradictions } from '../core/fapi/profile.js';
import type { ClientKind, ClientMetadata, TokenEndpointAuthMethod } from '../storage/types.js';
import { checkApiIdentifier } from './apis.js';
import { checkExtendedMembers, checkMemberConsistency, type MetadataPolicy } from './client-metadata-members.js';
import { checkClientInfoUri, checkWebOrigin, LOOPBACK_HOSTS } from './client-metadata-uris.js';
import { AdminInputError } from './errors.js';

export { checkClientInfoUri } from './client-metadata-uris.js';

export interface CreateClientInput {
  name: string;
  kind: ClientKind;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  responseTypes?: string[];
  /** The client's scopes, exactly (the kind's defaults are dropped). */
  scopes?: string[];
  /** Scopes added to the kind's defaults (or to `scopes`). */
  extraScopes?: string[];
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  jwks?: { keys: JWK[] };
  idTokenSignedResponseAlg?: string;
  clientId?: string;
  /** The API (RFC 8707 resource) its access tokens are for when a request names none. */
  defaultResource?: string;
  /** Web origins a public client calls /token, /revoke, /userinfo from, besides its redirect URIs' origins (CORS). */
  allowedCorsOrigins?: string[];
  /** OIDC Dynamic Client Registration §2: acr values every sign-in to this client needs (issue 13: urn:latch:acr:mfa). */
  defaultAcrValues?: string[];
  /** RFC 7591 §2: pages the consent page links to, and the logo it shows. */
  logoUri?: string;
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
  /** `latch_profile`: "fapi2" puts the client under the FAPI 2.0 Security Profile (core/fapi/profile.ts). */
  profile?: 'fapi2';
  /** The other members (client-metadata-members.ts), as a document gives them; checked there. */
  members?: Record<string, unknown>;
  /** RFC 7591: made by /register; never admin scopes, never the admin API. */
  registered?: boolean;
}

/** The RFC 7591 §2 URLs about the client shown to people, by the CreateClientInput key that holds each. */
export const CLIENT_INFO_URIS = { logoUri: 'logo_uri', clientUri: 'client_uri', policyUri: 'policy_uri', tosUri: 'tos_uri' } as const;

export const CLIENT_KINDS: readonly ClientKind[] = ['web', 'spa', 'native', 'm2m', 'device'];
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, 'implicit', 'password', TOKEN_EXCHANGE_GRANT];
export const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none'];
export const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
export const ID_TOKEN_ALGS = ['RS256', 'ES256', 'PS256', 'EdDSA'];
export const USER_FACING_SCOPE = 'openid profile email address phone offline_access';

interface KindDefaults {
  grantTypes: string[];
  responseTypes: string[];
  authMethod: TokenEndpointAuthMethod;
  applicationType: 'web' | 'native';
  scope: string;
  redirects: boolean;
}

const kindDefaults: Record<ClientKind, KindDefaults> = {
  web: { grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'], authMethod: 'client_secret_basic', applicationType: 'web', scope: USER_FACING_SCOPE, redirects: true },
  spa: { grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'], authMethod: 'none', applicationType: 'web', scope: USER_FACING_SCOPE, redirects: true },
  native: { grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'], authMethod: 'none', applicationType: 'native', scope: USER_FACING_SCOPE, redirects: true },
  m2m: { grantTypes: ['client_credentials'], responseTypes: [], authMethod: 'client_secret_basic', applicationType: 'web', scope: '', redirects: false },
  device: { grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], responseTypes: [], authMethod: 'none', applicationType: 'native', scope: USER_FACING_SCOPE, redirects: false },
};

/** builtins.ts's ADMIN_API (not imported: builtins.ts imports this file). */
const ADMIN_API = 'urn:latch:admin';
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

function spaceSeparated(value: string): string[] {
  return value.split(' ').filter(Boolean);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * RFC 6749 §3.1.2: absolute URI, no fragment. RFC 8252 §7 (native apps): loopback http on any port,
 * a private-use scheme in reverse domain notation, or https. Browser-based clients: https, or http on loopback.
 */
export function checkRedirectUri(field: string, uri: string, kind: ClientKind): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AdminInputError(field, `"${uri}" is not an absolute URL`);
  }
  if (uri.includes('#')) throw new AdminInputError(field, `"${uri}" must not contain a fragment (#)`);
  // RFC 9700 §2.1: redirect URIs are compared by exact string matching, so a wildcard could never match.
  if (uri.includes('*')) {
    throw new AdminInputError(field, `"${uri}" contains a wildcard (*): redirect URIs are matched exactly; register each URI in full`);
  }
  if (url.username !== '' || url.password !== '') throw new AdminInputError(field, `"${uri}" must not contain credentials`);
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return;
  if (scheme === 'http') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return;
    throw new AdminInputError(field, `"${uri}" must use https (http is only allowed for localhost, 127.0.0.1 and [::1])`);
  }
  if (kind === 'native') {
    // RFC 8252 §7.1: private-use URI schemes use a reverse domain name, e.g. com.example.app:/callback.
    if (scheme.includes('.')) return;
    throw new AdminInputError(
      field,
      `"${uri}" must use https, http on a loopback address, or a private-use scheme with a dot (e.g. com.example.app:/callback)`,
    );
  }
  throw new AdminInputError(field, `"${uri}" must use https (http is only allowed for localhost, 127.0.0.1 and [::1])`);
}

function checkJwks(jwks: unknown): { keys: JWK[] } {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new AdminInputError('jwks', 'must be a JWK Set: an object with a "keys" array');
  }
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0) throw new AdminInputError('jwks', 'must hold at least one key');
  keys.forEach((key, i) => {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new AdminInputError('jwks', `key ${i} is not a JSON object`);
    const jwk = key as Record<string, unknown>;
    const priv = PRIVATE_JWK_MEMBERS.filter((m) => m in jwk);
    if (priv.length > 0) {
      throw new AdminInputError('jwks', `key ${i} has private members (${priv.join(', ')}); give public keys only`);
    }
    const required: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
    const members = typeof jwk.kty === 'string' ? required[jwk.kty] : undefined;
    if (!members) throw new AdminInputError('jwks', `key ${i} has an unsupported kty (RSA, EC or OKP)`);
    const missing = members.filter((m) => typeof jwk[m] !== 'string');
    if (missing.length > 0) throw new AdminInputError('jwks', `key ${i} lacks ${missing.join(', ')}`);
  });
  return { keys: keys as JWK[] };
}

function parseScopes(scopes: string[]): string {
  const tokens = unique(scopes.flatMap((s) => s.split(/\s+/)).filter(Boolean));
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new AdminInputError('scope', `"${token}" is not a valid scope token`);
  }
  return tokens.join(' ');
}

/** Builds and checks the metadata of a new client; throws AdminInputError naming the field. */
export function buildClientMetadata(input: CreateClientInput, policy: MetadataPolicy = {}): ClientMetadata {
  if (!CLIENT_KINDS.includes(input.kind)) {
    throw new AdminInputError('latch_client_kind', `"${String(input.kind)}" is not one of ${CLIENT_KINDS.join(', ')}`);
  }
  const defaults = kindDefaults[input.kind];
  const name = (input.name ?? '').trim();
  if (name === '') throw new AdminInputError('client_name', 'is required');

  const grantTypes = unique(input.grantTypes ?? defaults.grantTypes);
  if (grantTypes.length === 0) throw new AdminInputError('grant_types', 'must name at least one grant type');
  for (const grant of grantTypes) {
    if (!GRANT_TYPES.includes(grant)) throw new AdminInputError('grant_types', `"${grant}" is not one of ${GRANT_TYPES.join(', ')}`);
  }
  const usesCode = grantTypes.includes('authorization_code');
  const usesImplicit = grantTypes.includes('implicit');

  let responseTypes: string[];
  if (input.responseTypes) {
    responseTypes = unique(input.responseTypes.map((r) => r.trim().split(/\s+/).sort().join(' ')));
  } else {
    responseTypes = defaults.responseTypes.filter((r) => r !== 'code' || usesCode);
    if (usesCode && !responseTypes.includes('code')) responseTypes.push('code');
  }
  const normalizedKnown = new Map(RESPONSE_TYPES.map((r) => [r.split(' ').sort().join(' '), r]));
  responseTypes = responseTypes.map((r) => {
    const known = normalizedKnown.get(r);
    if (!known) throw new AdminInputError('response_types', `"${r}" is not one of ${RESPONSE_TYPES.join(', ')}`);
    return known;
  });
  // RFC 7591 §2.1: response_types and grant_types must be consistent.
  for (const r of responseTypes) {
    const parts = r.split(' ');
    if (parts.includes('code') && !usesCode) throw new AdminInputError('response_types', `"${r}" needs the authorization_code grant type`);
    // OIDC Registration §2: id_token and token response types (hybrid included) need the implicit grant type.
    if ((parts.includes('token') || parts.includes('id_token')) && !usesImplicit) {
      throw new AdminInputError('response_types', `"${r}" needs the implicit grant type`);
    }
  }

  const members = checkExtendedMembers(input.members ?? {}, policy);
  const hasKeys = input.jwks !== undefined || members.jwks_uri !== undefined;
  const authMethod: TokenEndpointAuthMethod =
    input.tokenEndpointAuthMethod ?? (hasKeys && defaults.authMethod !== 'none' ? 'private_key_jwt' : defaults.authMethod);
  if (!AUTH_METHODS.includes(authMethod)) {
    throw new AdminInputError('token_endpoint_auth_method', `"${String(authMethod)}" is not one of ${AUTH_METHODS.join(', ')}`);
  }
  let jwks: { keys: JWK[] } | undefined;
  if (input.jwks !== undefined) jwks = checkJwks(input.jwks);
  if (authMethod === 'private_key_jwt' && !jwks && members.jwks_uri === undefined) {
    throw new AdminInputError('jwks', 'private_key_jwt needs the client\'s public keys (jwks or jwks_uri)');
  }
  if (authMethod === 'none' && (grantTypes.includes('client_credentials') || grantTypes.includes('password'))) {
    // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
    const grant = grantTypes.includes('client_credentials') ? 'client_credentials' : 'password';
    throw new AdminInputError('grant_types', `${grant} needs a confidential client (token_endpoint_auth_method is none)`);
  }

  const redirectUris = unique(input.redirectUris ?? []);
  const postLogoutRedirectUris = unique(input.postLogoutRedirectUris ?? []);
  const usesRedirects = usesCode || usesImplicit;
  if (!usesRedirects && redirectUris.length > 0) {
    throw new AdminInputError('redirect_uris', `${input.kind} clients without authorization_code have no redirect URIs`);
  }
  if (!usesRedirects && postLogoutRedirectUris.length > 0) {
    throw new AdminInputError('post_logout_redirect_uris', `${input.kind} clients without authorization_code have no post-logout redirect URIs`);
  }
  if (usesRedirects && redirectUris.length === 0) {
    throw new AdminInputError('redirect_uris', `at least one redirect URI is required for ${usesCode ? 'authorization_code' : 'implicit'}`);
  }
  for (const uri of redirectUris) checkRedirectUri('redirect_uris', uri, input.kind);
  for (const uri of postLogoutRedirectUris) checkRedirectUri('post_logout_redirect_uris', uri, input.kind);

  const scope = parseScopes([input.scopes === undefined ? defaults.scope : parseScopes(input.scopes), ...(input.extraScopes ?? [])]);

  checkMemberConsistency(members, { jwks: jwks !== undefined, redirectUris, authMethod, responseTypes });
  if (input.registered === true) {
    // Issue 15: a client that registered itself never gets the admin API nor its scopes.
    const adminScopes = spaceSeparated(scope).filter((s) => s.startsWith('admin:'));
    if (adminScopes.length > 0) throw new AdminInputError('scope', `${adminScopes.join(' ')} cannot be given to a registered client`);
    if (input.defaultResource === ADMIN_API) throw new AdminInputError('latch_default_resource', `${ADMIN_API} cannot be given to a registered client`);
  }

  const idTokenAlg = input.idTokenSignedResponseAlg ?? 'RS256';
  if (!ID_TOKEN_ALGS.includes(idTokenAlg)) {
    throw new AdminInputError('id_token_signed_response_alg', `"${idTokenAlg}" is not one of ${ID_TOKEN_ALGS.join(', ')}`);
  }

  const metadata: ClientMetadata = {
    client_name: name,
    application_type: defaults.applicationType,
    latch_client_kind: input.kind,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: authMethod,
    scope,
    id_token_signed_response_alg: idTokenAlg,
  };
  if (jwks) metadata.jwks = jwks;
  Object.assign(metadata, members);
  if (input.registered === true) metadata.latch_registered = true;
  if (input.defaultResource !== undefined) metadata.latch_default_resource = checkApiIdentifier(input.defaultResource, 'latch_default_resource');
  if (input.allowedCorsOrigins !== undefined && input.allowedCorsOrigins.length > 0) {
    // Fetch §3.2.5: CORS is what lets a browser app read a token response; a confidential client has a server for that.
    if (authMethod !== 'none') throw new AdminInputError('allowed_cors_origins', 'only a public client (spa, native, device) calls Latch from a browser');
    metadata.allowed_cors_origins = unique(input.allowedCorsOrigins.map(checkWebOrigin));
  }
  if (input.defaultAcrValues !== undefined && input.defaultAcrValues.length > 0) metadata.default_acr_values = checkAcrValues(input.defaultAcrValues);
  for (const [key, field] of Object.entries(CLIENT_INFO_URIS) as [keyof typeof CLIENT_INFO_URIS, (typeof CLIENT_INFO_URIS)[keyof typeof CLIENT_INFO_URIS]][]) {
    const value = input[key];
    if (value !== undefined && value.trim() !== '') metadata[field] = checkClientInfoUri(field, value);
  }
  const profile = input.profile ?? metadata.latch_profile;
  if (profile !== undefined) {
    if (profile !== 'fapi2') throw new AdminInputError('latch_profile', `"${String(profile)}" is not a profile Latch knows (fapi2)`);
    metadata.latch_profile = 'fapi2';
    // A client registered under the profile says nothing against it (FAPI 2.0 §5.3.2.1, §5.4.1).
    const [contradiction] = fapi2Contradictions(metadata);
    if (contradiction) throw new AdminInputError(contradiction.field, contradiction.message);
  }
  return metadata;
}

/** Whether the client authenticates with a shared secret (client_secret_basic or client_secret_post). */
export function usesClientSecret(method: TokenEndpointAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/** default_acr_values: values from acr_values_supported only (core/accounts/acr.ts), each once. */
function checkAcrValues(values: readonly string[]): string[] {
  for (const value of values) {
    if (!isAcrValue(value)) throw new AdminInputError('default_acr_values', `"${value}" is not one of ${ACR_VALUES_SUPPORTED.join(', ')}`);
  }
  return unique([...values]);
}
