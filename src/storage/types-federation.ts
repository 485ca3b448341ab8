/** Storage records of federation (issue 13): upstream connections, linked identities, sign-in states. */
/** Federation (issue 13): how an upstream provider is reached. */
export type ConnectionType = 'oidc' | 'oauth2';

/**
 * Where each Latch claim is read from in the upstream's ID token claims and userinfo: a dotted path such as
 * `id` or `emails.0.value`. Absent keys take the defaults (the claim of the same name).
 */
export interface ClaimMapping {
  sub?: string;
  email?: string;
  email_verified?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
}

/** An upstream identity provider people may sign in with ("Continue with <name>"). */
export interface ConnectionRecord {
  /** A short slug: the callback URL is `<issuer>/federation/<id>/callback`. */
  id: string;
  name: string;
  type: ConnectionType;
  /** oidc: the issuer whose discovery document is read. */
  issuer: string | null;
  /** oauth2 (and optional overrides for oidc): the upstream's endpoints. */
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  clientId: string;
  /** The client secret sealed with the server secret (keys/encryption.ts); never shown; null for a public client. */
  clientSecretEncrypted: string | null;
  scopes: string[];
  claimMapping: ClaimMapping;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ConnectionsRepository {
  /** Throws StorageConflictError when the id exists. */
  create(connection: ConnectionRecord): Promise<void>;
  find(id: string): Promise<ConnectionRecord | undefined>;
  /** Oldest first. */
  list(): Promise<ConnectionRecord[]>;
  /** False when the connection is unknown. */
  update(id: string, patch: Partial<Omit<ConnectionRecord, 'id' | 'createdAt'>> & { updatedAt: number }): Promise<boolean>;
  /** Deletes the connection and every identity linked through it. */
  delete(id: string): Promise<boolean>;
}

/** An upstream account linked to a Latch user: (connection, upstream subject) is unique. */
export interface UserIdentityRecord {
  connectionId: string;
  upstreamSub: string;
  sub: string;
  /** The upstream's email when it was linked. */
  email: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface UserIdentitiesRepository {
  /** Throws StorageConflictError when the upstream subject of this connection is linked already. */
  create(identity: UserIdentityRecord): Promise<void>;
  find(connectionId: string, upstreamSub: string): Promise<UserIdentityRecord | undefined>;
  /** The user's identities, oldest first. */
  listBySub(sub: string): Promise<UserIdentityRecord[]>;
  touch(connectionId: string, upstreamSub: string, now: number): Promise<boolean>;
  delete(connectionId: string, upstreamSub: string): Promise<boolean>;
}

/**
 * The short-lived state of one sign-in at an upstream, bound to a browser and an interaction: `start` between the
 * redirect upstream and the callback (found by the digest of `state`); `link` while the person proves they own the
 * existing account the upstream identity would be linked to (found by the digest of the link form's token).
 */
export interface FederationStateRecord {
  digest: string;
  kind: 'start' | 'link';
  connectionId: string;
  interactionDigest: string;
  browserDigest: string;
  /** `link`: the upstream subject and email, and the Latch user it would be linked to. */
  upstreamSub: string | null;
  email: string | null;
  sub: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface FederationStatesRepository {
  create(state: FederationStateRecord): Promise<void>;
  /** Deletes and returns the state if it has not expired at `now`: exactly one caller gets it. */
  consume(digest: string, now: number): Promise<FederationStateRecord | undefined>;
  /** Reads without consuming (the link page shown again after a wrong password). */
  find(digest: string, now: number): Promise<FederationStateRecord | undefined>;
}
