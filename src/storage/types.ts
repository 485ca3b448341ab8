/**
 * Narrow repositories. `core/` and `keys/` depend only on these interfaces; `sqlite/` and
 * `postgres/` implement them with Kysely and must both pass `contract/`.
 *
 * Times are Unix seconds (integers). Bearer values (tokens, codes, refresh tokens, session ids,
 * interaction ids, client secrets) never reach the store: only their SHA-256 digests, base64url.
 */
import type { ConnectionsRepository, FederationStatesRepository, UserIdentitiesRepository } from './types-federation.js';
import type { AccountTokensRepository, PasskeysRepository, RecoveryCodesRepository, TotpSecretsRepository } from './types-factors.js';
import type { ClientRegistrationsRepository, RegistrationTokensRepository } from './types-registration.js';
import type { ClientsRepository } from './types-clients.js';

// The records of federation and of a person's own account live in their own files; importers keep one path.
export * from './types-federation.js';
export * from './types-factors.js';
export * from './types-registration.js';
export * from './types-clients.js';
import type { JWK } from 'jose';

/** One page of a list (admin API): at most `limit` items after `cursor`, optionally filtered by the search text `q`. */
export interface PageQuery {
  limit: number;
  /** Opaque, from the previous page's `nextCursor`; a cursor the repository did not make throws InvalidCursorError. */
  cursor?: string | undefined;
  /** Case-insensitive substring search, where the list supports one (what it searches is said there). */
  q?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** null on the last page. */
  nextCursor: string | null;
}

/** OIDC standard claims kept for a user (OIDC Core §5.1), minus `sub` and `email`. */
export interface UserProfile {
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  profile?: string;
  picture?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  address?: {
    formatted?: string;
    street_address?: string;
    locality?: string;
    region?: string;
    postal_code?: string;
    country?: string;
  };
}

export interface UserRecord {
  sub: string;
  /** Lower-cased; unique. */
  email: string;
  emailVerified: boolean;
  /**
   * Made through the sign-up form while LATCH_SIGNUP_VERIFY was on: cannot sign in before the address is verified.
   * False for accounts an operator made, so that opening sign-up never locks them out.
   */
  verificationRequired: boolean;
  /** argon2id PHC string; null for a user who cannot log in with a password. */
  passwordHash: string | null;
  profile: UserProfile;
  /** Roles given by an operator, sorted; `admin` lets the person into the console and the admin API. */
  roles: string[];
  /** When an operator disabled the user (who then cannot sign in); null when enabled. */
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface UsersRepository {
  /** Throws StorageConflictError when sub or email exists. */
  create(user: UserRecord): Promise<void>;
  findBySub(sub: string): Promise<UserRecord | undefined>;
  /** Case-insensitive: callers pass any case, stored emails are lower-case. */
  findByEmail(email: string): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
  /** Oldest first; `q` searches email, sub and name. */
  page(query: PageQuery): Promise<Page<UserRecord>>;
  /** How many users have `role` (and are not disabled): "is there an admin yet?". */
  countWithRole(role: string): Promise<number>;
  /** Deletes the user and everything issued to them (sessions, grants, codes, tokens, consents). */
  delete(sub: string): Promise<boolean>;
  /**
   * Replaces the password hash only while it is still `current` (a sign-in's rehash, core/accounts/login.ts), so
   * that a password set meanwhile is never overwritten; updated_at is left as it is. False when nothing changed.
   */
  replacePasswordHash(sub: string, current: string, next: string): Promise<boolean>;
  /** Throws StorageConflictError when a new `email` belongs to another user. */
  update(
    sub: string,
    patch: {
      email?: string;
      passwordHash?: string | null;
      profile?: UserProfile;
      emailVerified?: boolean;
      roles?: string[];
      disabledAt?: number | null;
      updatedAt: number;
    },
  ): Promise<boolean>;
}

/** A browser's single sign-on session, found by the digest of its cookie value. */
export interface SessionRecord {
  idDigest: string;
  /** The public session id, the `sid` claim (OIDC Front/Back-Channel Logout). */
  sid: string;
  sub: string;
  authTime: number;
  amr: string[];
  createdAt: number;
  expiresAt: number;
}

export interface SessionsRepository {
  create(session: SessionRecord): Promise<void>;
  /** Returns undefined when missing or expired at `now`. */
  find(idDigest: string, now: number): Promise<SessionRecord | undefined>;
  delete(idDigest: string): Promise<boolean>;
  deleteBySid(sid: string): Promise<boolean>;
  findBySid(sid: string, now: number): Promise<SessionRecord | undefined>;
  /** The user's sessions not expired at `now`, newest first. */
  listBySub(sub: string, now: number): Promise<SessionRecord[]>;
  /** Ends every session of the user; returns how many. */
  deleteBySub(sub: string): Promise<number>;
}

/** A paused /authorize request, waiting for the person to log in or consent. */
export interface InteractionRecord {
  idDigest: string;
  clientId: string;
  /** What the interaction is for: an authorization request, or a device code being decided on (RFC 8628 §3.3). */
  kind: 'authorize' | 'device';
  /** The validated authorization request (parameters as strings), resumed after the interaction; empty for `device`. */
  request: Record<string, string>;
  /** Digest of the device code a `device` interaction decides on; null for `authorize`. */
  deviceCodeDigest: string | null;
  /** Digest of the `latch_browser` cookie of the browser the interaction is bound to. */
  browserDigest: string;
  /** The steps done, filled in as the interaction progresses: who logged in, what they consented to. */
  result: { sub?: string; sid?: string; authTime?: number; amr?: string[]; consented?: string[]; denied?: boolean };
  createdAt: number;
  expiresAt: number;
}

export interface InteractionsRepository {
  create(interaction: InteractionRecord): Promise<void>;
  /** Returns undefined when missing or expired at `now`. */
  find(idDigest: string, now: number): Promise<InteractionRecord | undefined>;
  updateResult(idDigest: string, result: InteractionRecord['result']): Promise<boolean>;
  /**
   * Moves every interaction of one browser that has not expired at `now` to its new browser value, in one
   * statement (the browser cookie is rotated at sign-in). Returns how many were moved.
   */
  rebindBrowser(oldDigest: string, newDigest: string, now: number): Promise<number>;
  delete(idDigest: string): Promise<boolean>;
}

/** One authorization of a client by a user: the family every code, access and refresh token descends from. */
export interface GrantRecord {
  grantId: string;
  clientId: string;
  /** null for grants without a user (client credentials). */
  sub: string | null;
  scope: string;
  sid: string | null;
  authTime: number | null;
  /** How the person signed in (RFC 8176); null without a person, or for grants from before it was kept. */
  amr: string[] | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface GrantsRepository {
  create(grant: GrantRecord): Promise<void>;
  find(grantId: string): Promise<GrantRecord | undefined>;
  /** Marks the grant and every token of it revoked, atomically. Returns false when unknown. */
  revoke(grantId: string, now: number): Promise<boolean>;
  listBySub(sub: string): Promise<GrantRecord[]>;
  /** Newest first, filtered by user and/or client; revoked grants included. */
  page(filter: { sub?: string; clientId?: string }, query: PageQuery): Promise<Page<GrantRecord>>;
  /** Revokes every grant of the user not yet revoked, and their tokens, atomically; returns how many grants. */
  revokeBySub(sub: string, now: number): Promise<number>;
}

export interface AuthorizationCodeRecord {
  codeDigest: string;
  grantId: string;
  clientId: string;
  sub: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  authTime: number;
  sid: string | null;
  /** Extra data carried to the token endpoint (e.g. acr, claims request, resource). */
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** RFC 9449 §10: the dpop_jkt of the authorization request; the token request must prove that key. */
  dpopJkt?: string;
}

export interface AuthorizationCodesRepository {
  create(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * Atomically marks the code consumed, if it was issued to `expected.clientId` and has not expired at `now`.
   * `firstUse` is true only for the one call that consumed it; a later call by that client gets the record with
   * `firstUse: false` (code reuse), and so does a call for an expired code (with `consumedAt` still null).
   * undefined when unknown or issued to another client: RFC 6749 §4.1.3, that refusal changes nothing.
   * RFC 9449 §10: a code bound to a DPoP key (`dpopJkt`) is consumed only with `expected.dpopJkt` equal to it.
   */
  consume(
    codeDigest: string,
    expected: { clientId: string; dpopJkt?: string },
    now: number,
  ): Promise<{ record: AuthorizationCodeRecord; firstUse: boolean } | undefined>;
}

export type TokenKind = 'access_token' | 'refresh_token';

export interface TokenRecord {
  digest: string;
  kind: TokenKind;
  /** null for tokens without a grant family (never for refresh tokens). */
  grantId: string | null;
  clientId: string;
  sub: string | null;
  scope: string;
  /** Audience (resource indicator), if any. */
  audience: string | null;
  /** Extra data, e.g. auth_time, sid, acr, cnf. */
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  /** Set when a refresh token is rotated. */
  consumedAt: number | null;
  revokedAt: number | null;
  /** RFC 9449 §6: the RFC 7638 thumbprint of the DPoP key the token is bound to (absent: a bearer token). */
  jkt?: string;
}

export interface TokenConsumeExpectation {
  kind: TokenKind;
  clientId: string;
  /** The key of the token this one is rotated into, recorded with the consumption. */
  successorDigest?: string;
  /** RFC 9449 §5: the DPoP key the request proved; a token bound to another key (or to one, without a proof) is not consumed. */
  jkt?: string;
}

export interface TokenConsumption {
  record: TokenRecord;
  firstUse: boolean;
  /** The key of the token it was rotated into, if any. */
  successorDigest: string | null;
  /** Set when the successor is stored: whether it has been rotated or revoked since. */
  successor: { consumedAt: number | null; revokedAt: number | null } | null;
  /** The token's grant is revoked or gone (false for a token without a grant). */
  grantRevoked: boolean;
}

export interface TokensRepository {
  create(token: TokenRecord): Promise<void>;
  find(digest: string): Promise<TokenRecord | undefined>;
  /**
   * The token and, in the same query, whether its grant is revoked or gone (false for a token without a grant):
   * what introspection and /userinfo need, in one round trip to the store.
   */
  findWithGrant(digest: string): Promise<{ token: TokenRecord; grantRevoked: boolean } | undefined>;
  /**
   * Atomic rotation of a refresh token: marks the token consumed (rotated into `expected.successorDigest`, when
   * given) if it is of `expected.kind`, issued to `expected.clientId`, not revoked, not expired at `now` and of a
   * grant that is not revoked. `firstUse` is true only for the one call that consumed it. Any other call for a token
   * of that kind and client gets `firstUse: false` and, in the same query, what a reuse decision needs: when it
   * was rotated, into what, whether that successor has been used or revoked, whether the grant is revoked.
   * undefined when unknown, of another kind or of another client: RFC 6749 §6, that refusal changes nothing.
   */
  consume(digest: string, expected: TokenConsumeExpectation, now: number): Promise<TokenConsumption | undefined>;
  /** Like `create`, but a token already stored under the same digest is kept as it is (false), not a conflict. */
  createIfAbsent(token: TokenRecord): Promise<boolean>;
  revoke(digest: string, now: number): Promise<boolean>;
}

export interface ConsentRecord {
  sub: string;
  clientId: string;
  /** Scopes granted, sorted. */
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ConsentsRepository {
  find(sub: string, clientId: string): Promise<ConsentRecord | undefined>;
  /** Inserts or replaces the scopes granted by sub to clientId. */
  upsert(consent: ConsentRecord): Promise<void>;
  delete(sub: string, clientId: string): Promise<boolean>;
}

export type KeyState = 'next' | 'active' | 'retired';

export interface KeyRecord {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: JWK;
  /** The private JWK, encrypted at rest (compact JWE, dir + A256GCM). */
  privateJwkEncrypted: string;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
}

export interface KeysRepository {
  list(): Promise<KeyRecord[]>;
  create(key: KeyRecord): Promise<void>;
  setState(kid: string, state: KeyState, now: number): Promise<boolean>;
  delete(kid: string): Promise<boolean>;
}

export interface ReplayRepository {
  /**
   * Records a one-time value (e.g. a client assertion `jti`) until `expiresAt`.
   * Returns false when it was already recorded and has not expired: a replay.
   */
  remember(key: string, expiresAt: number, now: number): Promise<boolean>;
}

/** Hits of one key in the fixed window containing `now` and in the window before it. */
export interface WindowCounts {
  current: number;
  previous: number;
}

export interface RateLimitsRepository {
  /**
   * Counts one hit against `key` in the fixed window of `windowSeconds` containing `now`; returns the count so far.
   * A window's count is kept (not purged) until the end of the window after it.
   */
  hit(key: string, windowSeconds: number, now: number): Promise<number>;
  /** Reads, without counting, each key's hits in the window containing `now` and the one before (0 when none). */
  counts(keys: readonly string[], windowSeconds: number, now: number): Promise<Map<string, WindowCounts>>;
  /** Forgets every window of `key`. */
  reset(key: string): Promise<void>;
}

export type AccessTokenFormat = 'jwt' | 'opaque';

/** An API registered with Latch: a resource server that accepts Latch access tokens (RFC 8707 resource). */
export interface ApiRecord {
  /** The resource indicator and token audience: an absolute URI without fragment (RFC 8707 §2). Primary key. */
  identifier: string;
  name: string;
  /** Scopes the API defines, each an RFC 6749 §3.3 scope-token. */
  scopes: string[];
  /** `jwt`: RFC 9068 JWT access tokens, verified locally; `opaque`: random values, checked by introspection. */
  tokenFormat: AccessTokenFormat;
  /** Access token lifetime for this API, in seconds. */
  accessTokenTtl: number;
  /** JWS algorithm of JWT access tokens. */
  signingAlg: string;
  /** What each scope lets a client do, in the person's words, for the consent page (scopes without one are absent). */
  scopeDescriptions: Record<string, string>;
  /** Clients (besides the one a token was issued to) that introspection answers about this API's tokens (RFC 7662 §4). */
  introspectionClients: string[];
  createdAt: number;
}

export interface ApisRepository {
  /** Throws StorageConflictError when the identifier exists. */
  create(api: ApiRecord): Promise<void>;
  find(identifier: string): Promise<ApiRecord | undefined>;
  list(): Promise<ApiRecord[]>;
  /** Replaces the clients that may introspect the API's tokens; false when the API is unknown. */
  setIntrospectionClients(identifier: string, clientIds: string[]): Promise<boolean>;
  /** Changes what is given (never the identifier or createdAt); false when the API is unknown. */
  update(identifier: string, patch: Partial<Omit<ApiRecord, 'identifier' | 'createdAt'>>): Promise<boolean>;
  /** Deletes the API and revokes every token issued for it (audience = identifier). */
  delete(identifier: string, now: number): Promise<boolean>;
}

/** RFC 8628: where a device authorization request stands. */
export type DeviceCodeStatus = 'pending' | 'approved' | 'denied';

/** A device authorization request (RFC 8628 §3.2), found by the digest of its device_code or of its user_code. */
export interface DeviceCodeRecord {
  deviceCodeDigest: string;
  /** Digest of the normalised user code (8 letters, no dash). Unique. */
  userCodeDigest: string;
  clientId: string;
  /** The scopes requested; after approval, the scopes granted. */
  scope: string;
  status: DeviceCodeStatus;
  /** Set on approval: the grant the tokens will belong to (created with the approval, in the same transaction). */
  grantId: string | null;
  sub: string | null;
  sid: string | null;
  authTime: number | null;
  /** Seconds the client must wait between polls (grows by 5 on each slow_down). */
  interval: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
  /** When the person approved or denied. */
  decidedAt: number | null;
  /** When the tokens were issued. */
  consumedAt: number | null;
}

export interface DeviceApproval {
  grantId: string;
  sub: string;
  sid: string | null;
  authTime: number;
  /** How the person who approved signed in (RFC 8176). */
  amr: string[];
  /** The scopes granted. */
  scope: string;
}

export interface DeviceCodesRepository {
  /** Throws StorageConflictError when the device code or the user code digest exists. */
  create(record: DeviceCodeRecord): Promise<void>;
  find(deviceCodeDigest: string): Promise<DeviceCodeRecord | undefined>;
  /** Only a code that has not expired at `now`. */
  findByUserCode(userCodeDigest: string, now: number): Promise<DeviceCodeRecord | undefined>;
  /**
   * Approves a pending, unexpired code and creates its grant (`approval.grantId`, of the code's client), atomically;
   * false when it was already decided or has expired. Exactly one decision wins.
   */
  approve(deviceCodeDigest: string, approval: DeviceApproval, now: number): Promise<boolean>;
  /** Denies a pending, unexpired code; false when it was already decided or has expired. */
  deny(deviceCodeDigest: string, now: number): Promise<boolean>;
  /** Records a poll of a pending code at `now` and the interval the client must keep from now on. */
  recordPoll(deviceCodeDigest: string, now: number, interval: number): Promise<boolean>;
  /**
   * Atomically marks an approved code of `expected.clientId` consumed, like AuthorizationCodesRepository.consume:
   * `firstUse` is true only for the one call that consumed it. undefined when unknown, not approved, or of another
   * client (which changes nothing).
   */
  consume(
    deviceCodeDigest: string,
    expected: { clientId: string },
    now: number,
  ): Promise<{ record: DeviceCodeRecord; firstUse: boolean } | undefined>;
}

/**
 * Something that happened, for the operator's audit trail (admin API `GET /admin/api/events`): who did it, to whom,
 * through which client, from where. Never a secret, token, code or password.
 */
export interface EventRecord {
  /** Unique and increasing with time (a ULID-like id), so that listing newest first is stable. */
  id: string;
  /** Dotted name, e.g. `login.succeeded`, `client.created`, `grant.revoked` (observability/events.ts lists them). */
  type: string;
  at: number;
  /** Who acted: a person (`sub`) or a client (client credentials); both null for the server itself or a stranger. */
  actorSub: string | null;
  actorClientId: string | null;
  /** The person it concerns (signed in, was edited, ...). */
  sub: string | null;
  /** The client it concerns (the app signed in to, the client edited, ...). */
  clientId: string | null;
  /** The requester's IP address. */
  address: string | null;
  /** Details of this event type: ids, names, reasons, never secrets. */
  data: Record<string, string | number | boolean | null | string[]>;
}

export interface EventFilter {
  type?: string;
  /** Matches the actor or the subject person. */
  sub?: string;
  /** Matches the acting client or the client concerned. */
  clientId?: string;
  /** Inclusive bounds, Unix seconds. */
  since?: number;
  until?: number;
}

export interface EventsRepository {
  record(event: EventRecord): Promise<void>;
  /** Newest first. */
  page(filter: EventFilter, query: PageQuery): Promise<Page<EventRecord>>;
}

/** What an operator sets for the pages (console, admin API or config), shown on every instance at once. */
export interface BrandingSettings {
  productName: string | null;
  /** An https (or loopback http) URL of an image; pages show a fetched, size-limited copy. */
  logoUri: string | null;
  /** #rrggbb */
  primaryColor: string | null;
  links: { privacy: string | null; terms: string | null; support: string | null };
  updatedAt: number;
}

/** The one-time link that creates the first admin (printed at start while there is none). */
export interface AdminSetupRecord {
  tokenDigest: string;
  expiresAt: number;
}

export interface SettingsRepository {
  getBranding(): Promise<BrandingSettings | undefined>;
  putBranding(branding: BrandingSettings): Promise<void>;
  getAdminSetup(): Promise<AdminSetupRecord | undefined>;
  putAdminSetup(setup: AdminSetupRecord): Promise<void>;
  /** Deletes the setup record if its digest is `tokenDigest` and it has not expired at `now`: true for exactly one caller. */
  consumeAdminSetup(tokenDigest: string, now: number): Promise<boolean>;
}

/**
 * RFC 9126: a pushed authorization request, found by the digest of the random part of its request_uri, never the
 * request_uri itself. `params` are the validated parameters of the request (core/authorize/read.ts).
 */
export interface PushedRequestRecord {
  digest: string;
  clientId: string;
  params: Record<string, string>;
  createdAt: number;
  expiresAt: number;
}

export interface PushedRequestsRepository {
  /** Throws StorageConflictError when the digest exists. */
  create(record: PushedRequestRecord): Promise<void>;
  /**
   * RFC 9126 §4: single use. Atomically deletes and returns the record if it was pushed by `clientId` and has not
   * expired at `now`; of concurrent calls exactly one gets it. Another client's call, or an expired record, gets
   * undefined and changes nothing.
   */
  consume(digest: string, clientId: string, now: number): Promise<PushedRequestRecord | undefined>;
}

/** The tables a purge deletes from. */
export type PurgedTable =
  | 'authorization_codes'
  | 'device_codes'
  | 'tokens'
  | 'sessions'
  | 'interactions'
  | 'replay'
  | 'rate_limits'
  | 'federation_states'
  | 'account_tokens'
  | 'passkey_challenges'
  | 'pushed_authorization_requests'
  | 'registration_tokens'
  | 'events';

export interface PurgeOptions {
  /** Events dated before this (Unix seconds) are deleted too; unset: no event is. */
  eventsBefore?: number;
  /** Rows one statement deletes at most; default per dialect (repositories/purge.ts). */
  batchSize?: number;
  /** Stops the run after the batch under way (shutdown); what it deleted so far is reported. */
  signal?: AbortSignal;
}

export interface PurgeReport {
  /** False when another instance held the purge lock (PostgreSQL): this one deleted nothing. */
  ran: boolean;
  /** Rows deleted, per table. */
  deleted: Record<PurgedTable, number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clients: ClientsRepository;
  readonly users: UsersRepository;
  readonly sessions: SessionsRepository;
  readonly interactions: InteractionsRepository;
  readonly grants: GrantsRepository;
  readonly codes: AuthorizationCodesRepository;
  readonly tokens: TokensRepository;
  readonly consents: ConsentsRepository;
  readonly keys: KeysRepository;
  readonly replay: ReplayRepository;
  readonly rateLimits: RateLimitsRepository;
  readonly deviceCodes: DeviceCodesRepository;
  readonly apis: ApisRepository;
  readonly events: EventsRepository;
  readonly settings: SettingsRepository;
  readonly connections: ConnectionsRepository;
  readonly identities: UserIdentitiesRepository;
  readonly federationStates: FederationStatesRepository;
  readonly accountTokens: AccountTokensRepository;
  readonly totpSecrets: TotpSecretsRepository;
  readonly recoveryCodes: RecoveryCodesRepository;
  readonly passkeys: PasskeysRepository;
  readonly pushedRequests: PushedRequestsRepository;
  readonly registrationTokens: RegistrationTokensRepository;
  readonly clientRegistrations: ClientRegistrationsRepository;
  /**
   * Deletes expired rows (codes, device codes, tokens, sessions, interactions, replay entries, rate-limit windows,
   * federation states, account tokens, passkey challenges), and events older than `eventsBefore` (Unix seconds)
   * when it is given, in bounded batches (repositories/purge.ts). On PostgreSQL only one instance purges at a time:
   * the others skip (`ran: false`).
   */
  purgeExpired(now: number, options?: PurgeOptions): Promise<PurgeReport>;
  close(): Promise<void>;
}

/** A page cursor the repository did not make (or of another list). */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this list gave out');
    this.name = 'InvalidCursorError';
  }
}

export class StorageConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageConflictError';
  }
}
