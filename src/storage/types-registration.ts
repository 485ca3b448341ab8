/** Dynamic client registration (RFC 7591, RFC 7592): initial access tokens and registration access tokens, as digests. */

/** An initial access token (RFC 7591 §3): lets whoever holds it register clients, `usesLeft` more times (null: any). */
export interface RegistrationTokenRecord {
  /** Public id, to list and revoke it; not the token. */
  id: string;
  digest: string;
  usesLeft: number | null;
  createdAt: number;
  /** null: never expires. */
  expiresAt: number | null;
}

export interface RegistrationTokensRepository {
  /** Throws StorageConflictError when the id or digest exists. */
  create(token: RegistrationTokenRecord): Promise<void>;
  /** Valid at `now` (not expired, a use left); does not use it. */
  find(digest: string, now: number): Promise<RegistrationTokenRecord | undefined>;
  /**
   * Takes one use, in one statement: of concurrent registrations with the last use, exactly one gets true.
   * False when the token is unknown, expired or used up.
   */
  use(digest: string, now: number): Promise<boolean>;
  /** Newest first, expired and used-up ones included. */
  list(): Promise<RegistrationTokenRecord[]>;
  revoke(id: string): Promise<boolean>;
}

export interface ClientRegistrationsRepository {
  /** Sets (or replaces) the registration access token of a client. */
  set(clientId: string, tokenDigest: string, now: number): Promise<void>;
  /** The client whose registration access token has this digest. */
  findClientId(tokenDigest: string): Promise<string | undefined>;
  /** Replaces the token only while it is still `current` (RFC 7592 §2.2 rotation); false when it was not. */
  rotate(clientId: string, current: string, next: string, now: number): Promise<boolean>;
}
