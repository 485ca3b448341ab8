/**
 * Kysely table types, shared by both dialects. Columns are snake_case.
 *
 * Times are integer Unix seconds (SQLite `integer`, PostgreSQL `bigint` parsed to a number by the
 * pool). JSON columns are read and written as JSON text (SQLite `text`, PostgreSQL `jsonb` whose
 * parser the pool leaves as text); `repositories/codec.ts` is the one place that converts them.
 */
import type { ColumnType } from 'kysely';

/** JSON text. */
type Json = string;
/** SQLite stores booleans as 0/1 (the SQLite connection binds `true`/`false` as 1/0); PostgreSQL as boolean. */
type Bool = ColumnType<boolean | number, boolean, boolean>;

export interface ClientsTable {
  client_id: string;
  client_secret_digest: string | null;
  /** Both set while a rotated-out secret is still accepted (its grace period), both null otherwise. */
  previous_secret_digest: string | null;
  previous_secret_expires_at: number | null;
  metadata: Json;
  created_at: number;
}

export interface UsersTable {
  sub: string;
  /** Lower-case. */
  email: string;
  email_verified: Bool;
  /** Made through the sign-up form with verification asked: cannot sign in before email_verified (migration 013). */
  verification_required: Bool;
  password_hash: string | null;
  profile: Json;
  /** JSON array of role names, sorted. */
  roles: Json;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id_digest: string;
  sid: string;
  sub: string;
  auth_time: number;
  amr: Json;
  created_at: number;
  expires_at: number;
}

export interface InteractionsTable {
  id_digest: string;
  client_id: string;
  /** Copy of `result.sub`, so that deleting a user finds their interactions. */
  sub: string | null;
  /** 'authorize' or 'device' (migration 008). */
  kind: string;
  request: Json;
  device_code_digest: string | null;
  result: Json;
  /** Digest of the browser cookie the interaction is bound to. */
  browser_digest: string;
  created_at: number;
  expires_at: number;
}

export interface GrantsTable {
  grant_id: string;
  client_id: string;
  sub: string | null;
  scope: string;
  sid: string | null;
  auth_time: number | null;
  amr: Json | null;
  created_at: number;
  revoked_at: number | null;
}

export interface AuthorizationCodesTable {
  code_digest: string;
  grant_id: string;
  client_id: string;
  sub: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  sid: string | null;
  data: Json;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  /** RFC 9449 §10: the authorization request's dpop_jkt (migration 018). */
  dpop_jkt: string | null;
}

export interface TokensTable {
  digest: string;
  kind: string;
  grant_id: string | null;
  client_id: string;
  sub: string | null;
  scope: string;
  audience: string | null;
  data: Json;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
  /** Set when a refresh token is rotated: the key of its successor. */
  successor_digest: string | null;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (migration 018). */
  jkt: string | null;
}

export interface ConsentsTable {
  sub: string;
  client_id: string;
  scopes: Json;
  created_at: number;
  updated_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: string;
  public_jwk: Json;
  private_jwk_encrypted: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

export interface ReplayTable {
  key: string;
  expires_at: number;
}

export interface RateLimitsTable {
  key: string;
  /** Part of the key: the same key counted in windows of different sizes keeps separate counts. */
  window_seconds: number;
  window_start: number;
  hits: number;
  expires_at: number;
}

export interface ApisTable {
  identifier: string;
  name: string;
  scopes: Json;
  token_format: string;
  access_token_ttl: number;
  signing_alg: string;
  /** JSON array of client ids. */
  introspection_clients: Json;
  /** JSON object: scope -> description. */
  scope_descriptions: Json;
  created_at: number;
}

export interface DeviceCodesTable {
  device_code_digest: string;
  user_code_digest: string;
  client_id: string;
  scope: string;
  status: string;
  grant_id: string | null;
  sub: string | null;
  sid: string | null;
  auth_time: number | null;
  poll_interval: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  consumed_at: number | null;
}

export interface EventsTable {
  /** Time-ordered: with `at`, the newest-first order of the audit trail. */
  id: string;
  type: string;
  at: number;
  actor_sub: string | null;
  actor_client_id: string | null;
  sub: string | null;
  client_id: string | null;
  address: string | null;
  data: Json;
}

export interface SettingsTable {
  /** `branding`, `admin_setup`. */
  key: string;
  /** JSON, one codec per key (repositories/settings.ts). */
  value: Json;
  updated_at: number;
}

/** An upstream identity provider (issue 13, federation): OpenID Connect by issuer, or OAuth 2.0 by endpoints. */
export interface ConnectionsTable {
  id: string;
  name: string;
  /** 'oidc' or 'oauth2'. */
  type: string;
  issuer: string | null;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  userinfo_endpoint: string | null;
  client_id: string;
  /** Compact JWE under the server secret (keys/encryption.ts), like the signing keys; null for a public client. */
  client_secret_encrypted: string | null;
  /** JSON array of scopes asked for. */
  scopes: Json;
  /** JSON object: Latch claim -> path in the upstream claims or userinfo. */
  claim_mapping: Json;
  enabled: Bool;
  created_at: number;
  updated_at: number;
}

export interface UserIdentitiesTable {
  connection_id: string;
  upstream_sub: string;
  sub: string;
  /** The upstream email when linked. */
  email: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface FederationStatesTable {
  /** Digest of the `state` sent upstream ('start'), or of a pending link's token ('link'). */
  digest: string;
  kind: string;
  connection_id: string;
  interaction_digest: string;
  browser_digest: string;
  upstream_sub: string | null;
  email: string | null;
  sub: string | null;
  created_at: number;
  expires_at: number;
}

/** Single-use links mailed to a person (migration 012): verify_email, reset_password, change_email. */
export interface AccountTokensTable {
  digest: string;
  kind: string;
  sub: string;
  email: string;
  created_at: number;
  expires_at: number;
}

export interface TotpSecretsTable {
  sub: string;
  secret_sealed: string;
  confirmed_at: number | null;
  last_step: number | null;
  created_at: number;
}

export interface RecoveryCodesTable {
  sub: string;
  code_digest: string;
  created_at: number;
  used_at: number | null;
}

export interface PasskeyUsersTable {
  sub: string;
  user_handle: string;
}

export interface PasskeysTable {
  credential_id: string;
  sub: string;
  public_key: string;
  counter: number;
  transports: Json;
  device_type: string;
  backed_up: Bool;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface PasskeyChallengesTable {
  challenge: string;
  purpose: string;
  browser_digest: string;
  sub: string | null;
  expires_at: number;
}

/** RFC 9126 pushed authorization requests (migration 017), by the digest of their request_uri's random part. */
export interface PushedAuthorizationRequestsTable {
  digest: string;
  client_id: string;
  params: Json;
  created_at: number;
  expires_at: number;
}

/** Initial access tokens (migration 016, RFC 7591 §3). */
export interface RegistrationTokensTable {
  id: string;
  digest: string;
  uses_left: number | null;
  created_at: number;
  expires_at: number | null;
}

/** The registration access token of each registered client (migration 016, RFC 7592). */
export interface ClientRegistrationsTable {
  client_id: string;
  token_digest: string;
  updated_at: number;
}

export interface Database {
  clients: ClientsTable;
  users: UsersTable;
  sessions: SessionsTable;
  interactions: InteractionsTable;
  grants: GrantsTable;
  authorization_codes: AuthorizationCodesTable;
  tokens: TokensTable;
  consents: ConsentsTable;
  signing_keys: SigningKeysTable;
  replay: ReplayTable;
  rate_limits: RateLimitsTable;
  device_codes: DeviceCodesTable;
  apis: ApisTable;
  events: EventsTable;
  settings: SettingsTable;
  connections: ConnectionsTable;
  user_identities: UserIdentitiesTable;
  federation_states: FederationStatesTable;
  account_tokens: AccountTokensTable;
  totp_secrets: TotpSecretsTable;
  recovery_codes: RecoveryCodesTable;
  passkey_users: PasskeyUsersTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  pushed_authorization_requests: PushedAuthorizationRequestsTable;
  registration_tokens: RegistrationTokensTable;
  client_registrations: ClientRegistrationsTable;
}

export type Dialect = 'sqlite' | 'postgres';
