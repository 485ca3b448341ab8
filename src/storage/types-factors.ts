/** Storage records of a person's own account (issue 13): mailed single-use links and second factors. */
/** What a mailed single-use link is for (issue 13, accounts that look after themselves). */
export type AccountTokenKind = 'verify_email' | 'reset_password' | 'change_email';

/** A single-use link mailed to a person, found by the digest of its token (the token itself is never stored). */
export interface AccountTokenRecord {
  digest: string;
  kind: AccountTokenKind;
  sub: string;
  /** The address the link was sent to: the one to verify, or the new address of a change. */
  email: string;
  createdAt: number;
  expiresAt: number;
}

export interface AccountTokensRepository {
  /** Throws StorageConflictError when the digest exists. */
  create(token: AccountTokenRecord): Promise<void>;
  /**
   * Consumes the token in one statement (a delete): of two concurrent uses exactly one gets the record. Undefined
   * when missing, of another kind, or expired at `now` (a token of another kind is left as it is).
   */
  consume(digest: string, kind: AccountTokenKind, now: number): Promise<AccountTokenRecord | undefined>;
  /** Reads without consuming: undefined when missing, of another kind, or expired at `now`. */
  find(digest: string, kind: AccountTokenKind, now: number): Promise<AccountTokenRecord | undefined>;
  /** Deletes a person's tokens of one kind (a new link, a reset done, a new password): returns how many. */
  deleteBySub(sub: string, kind: AccountTokenKind): Promise<number>;
}

/** Second factors (issue 13): a person's TOTP secret, sealed with the server secret (never stored in the clear). */
export interface TotpSecretRecord {
  sub: string;
  /** Compact JWE (dir, A256GCM) of the base32 secret, like a signing key at rest. */
  secretSealed: string;
  /** When the person proved the enrolment with a first code; null while the enrolment is pending. */
  confirmedAt: number | null;
  /** The last time step (RFC 6238 T) a code was accepted for: a code of that step or an earlier one is refused. */
  lastStep: number | null;
  createdAt: number;
}

export interface TotpSecretsRepository {
  find(sub: string): Promise<TotpSecretRecord | undefined>;
  /** Starts (or restarts) an enrolment: a new pending secret replaces a pending one; a confirmed one stays. */
  putPending(record: TotpSecretRecord): Promise<boolean>;
  /**
   * Accepts a code of time step `step`, atomically: true for exactly one caller, and only if `step` is later than
   * the last step accepted. `confirm` also confirms a pending enrolment at `now`.
   */
  acceptStep(sub: string, step: number, now: number, confirm: boolean): Promise<boolean>;
  delete(sub: string): Promise<boolean>;
}

/** One of a person's single-use recovery codes, by its digest. */
export interface RecoveryCodeRecord {
  sub: string;
  codeDigest: string;
  createdAt: number;
  usedAt: number | null;
}

export interface RecoveryCodesRepository {
  /** Replaces every code of the person with these (in one transaction). */
  replace(sub: string, codeDigests: readonly string[], now: number): Promise<void>;
  /** Marks an unused code used, atomically: true for exactly one caller. */
  consume(sub: string, codeDigest: string, now: number): Promise<boolean>;
  /** How many unused codes the person has. */
  remaining(sub: string): Promise<number>;
  deleteBySub(sub: string): Promise<number>;
}

/** A WebAuthn credential (a passkey or security key) registered by a person. */
export interface PasskeyRecord {
  /** base64url credential id. */
  credentialId: string;
  sub: string;
  /** base64url COSE public key. */
  publicKey: string;
  /** The signature counter last seen (WebAuthn §6.1.1). */
  counter: number;
  /** Hints for the browser (usb, nfc, ble, internal, hybrid). */
  transports: string[];
  /** 'singleDevice' (the key stays on the authenticator) or 'multiDevice' (a synced passkey). */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A WebAuthn ceremony in progress: its one-time challenge, for one browser (and one person, when known). */
export interface PasskeyChallengeRecord {
  challenge: string;
  purpose: 'register' | 'authenticate';
  browserDigest: string;
  sub: string | null;
  expiresAt: number;
}

export interface PasskeysRepository {
  /** Throws StorageConflictError when the credential id is registered already. */
  create(record: PasskeyRecord): Promise<void>;
  find(credentialId: string): Promise<PasskeyRecord | undefined>;
  /** Oldest first. */
  listBySub(sub: string): Promise<PasskeyRecord[]>;
  /** After a verified assertion: the new counter and when it was used. */
  recordUse(credentialId: string, counter: number, backedUp: boolean, now: number): Promise<boolean>;
  rename(sub: string, credentialId: string, name: string): Promise<boolean>;
  delete(sub: string, credentialId: string): Promise<boolean>;
  deleteBySub(sub: string): Promise<number>;
  /** The person's WebAuthn user handle (base64url), created on first use; stable afterwards. */
  userHandle(sub: string, create: () => string): Promise<string>;
  subForUserHandle(userHandle: string): Promise<string | undefined>;
  createChallenge(record: PasskeyChallengeRecord): Promise<void>;
  /** Deletes and returns the challenge if it is this browser's, of this purpose, and unexpired at `now`: once. */
  consumeChallenge(challenge: string, purpose: PasskeyChallengeRecord['purpose'], browserDigest: string, now: number): Promise<PasskeyChallengeRecord | undefined>;
}
