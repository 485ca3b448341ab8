/** Clients: their metadata (RFC 7591 names, plus Latch's own `latch_*` keys), their record and their repository. */
import type { JWK } from 'jose';
import type { Page, PageQuery } from './types.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
export type ClientKind = 'web' | 'spa' | 'native' | 'm2m' | 'device';

/** Client metadata in RFC 7591 names, plus Latch's own `latch_*` keys. */
export interface ClientMetadata {
  client_name: string;
  application_type: 'web' | 'native';
  latch_client_kind: ClientKind;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** Space-separated scopes the client may request. */
  scope: string;
  jwks?: { keys: JWK[] };
  id_token_signed_response_alg: string;
  /** Algorithm the client uses for private_key_jwt assertions (RFC 7591 §2), if restricted. */
  token_endpoint_auth_signing_alg?: string;
  /** Identifier of the API (resource) its tokens are for when a request names none (RFC 8707). */
  latch_default_resource?: string;
  /** Web origins (scheme://host[:port]) a public client's browser code calls the token endpoints from (CORS). */
  allowed_cors_origins?: string[];
  /** RFC 7591 §2: shown on the consent page. */
  logo_uri?: string;
  client_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  /** OIDC Dynamic Client Registration §2: the acr values asked for when a request sends no acr_values (issue 13). */
  default_acr_values?: string[];
  /** RFC 7591 §2: ways to reach the people responsible for the client. */
  contacts?: string[];
  /** RFC 7591 §2: the client's key set by reference (https); exclusive with `jwks`. */
  jwks_uri?: string;
  /** OIDC Dynamic Registration §2: `auth_time` in every ID token; a max age applied when a request sends none. */
  require_auth_time?: boolean;
  default_max_age?: number;
  /** OIDC Dynamic Registration §2: UserInfo answered as a signed JWT (application/jwt) with this alg. */
  userinfo_signed_response_alg?: string;
  /** RFC 9101 / OIDC Core §6: the alg request objects must use ('none' only when registered so). */
  request_object_signing_alg?: string;
  /** RFC 9101 §10.5: every authorization request of this client must be a signed request object. */
  require_signed_request_object?: boolean;
  /** RFC 9126 §6: every authorization request of this client must come through /par. */
  require_pushed_authorization_requests?: boolean;
  /** RFC 9449 §5.2: access tokens of this client are always DPoP-bound. */
  dpop_bound_access_tokens?: boolean;
  /** OIDC Back-Channel Logout 1.0 §2.2. */
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** OIDC Front-Channel Logout 1.0 §2. */
  frontchannel_logout_uri?: string;
  frontchannel_logout_session_required?: boolean;
  /** OIDC Core §8: `pairwise` gives this client its own `sub` for each person (by sector, §8.1). */
  subject_type?: 'public' | 'pairwise';
  sector_identifier_uri?: string;
  /** OIDC Registration §2: the request_uri values (remote request objects) the client may send; each https. */
  request_uris?: string[];
  /** Latch: the FAPI 2.0 Security Profile applies to this client (also server-wide with LATCH_FAPI2). */
  latch_profile?: 'fapi2';
  /** Latch: made by POST /register (RFC 7591), not by an operator; such a client never gets admin scopes or APIs. */
  latch_registered?: boolean;
}

export interface ClientRecord {
  clientId: string;
  /** SHA-256 of the client secret, base64url; null for public and private_key_jwt clients. */
  clientSecretDigest: string | null;
  /** After a secret rotation with a grace period: the old secret's digest, accepted until `expiresAt`. */
  previousSecret: { digest: string; expiresAt: number } | null;
  metadata: ClientMetadata;
  createdAt: number;
}

export interface ClientsRepository {
  /** Throws StorageConflictError when client_id exists. */
  create(client: ClientRecord): Promise<void>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  list(): Promise<ClientRecord[]>;
  /** Oldest first; `q` searches client_id and client_name. */
  page(query: PageQuery): Promise<Page<ClientRecord>>;
  /** Deletes the client and everything issued to it (grants, codes, tokens, consents). */
  delete(clientId: string): Promise<boolean>;
  update(
    clientId: string,
    patch: { clientSecretDigest?: string | null; previousSecret?: ClientRecord['previousSecret']; metadata?: ClientMetadata },
  ): Promise<boolean>;
}
