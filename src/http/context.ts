import type { OneAtATime } from '../core/accounts/one-at-a-time.js';
import type { PasswordPolicy } from '../core/accounts/password-policy.js';
import type { Config } from '../config/schema.js';
import type { ClientKeys } from '../core/client-auth/client-keys.js';
import type { BackchannelLogout } from '../core/oidc/backchannel-logout.js';
import type { LogoSource } from '../pages/logo-cache.js';
import type { Mailer } from '../mail/mailer.js';
import type { KeyRing } from '../keys/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../storage/types.js';

/** What the HTTP adapter hands to routes: the store, the keys, the config and the clock. */
export interface AppContext {
  config: Config;
  store: Store;
  keys: KeyRing;
  /** Key for CSRF tokens, derived from the server secret. */
  csrfKey: Buffer;
  /** Key that derives a rotated refresh token's successor from it, derived from the server secret. */
  refreshSuccessorKey: Buffer;
  /** Salt of pairwise subject identifiers (OIDC Core §8.1), derived from the server secret. */
  pairwiseSalt: Buffer;
  /** Password checks of one account from one address, one at a time (core/accounts/throttle.ts). */
  passwordTurns: OneAtATime;
  /** What a new password must be, with the common-password list read at start (core/accounts/password-policy.ts). */
  passwords: PasswordPolicy;
  /** Fetched, size-limited copies of the brand's and clients' logos, served from this origin (one per instance). */
  logos: LogoSource;
  /** Sends email (LATCH_SMTP_URL), or writes it to the log when that is unset (mail/create-mailer.ts). */
  mailer: Mailer;
  /** The server secret that encrypts the signing keys: what a key rotation through the admin API needs. */
  keySecret?: Uint8Array;
  /** Clients' keys from jwks or jwks_uri, cached per instance (private_key_jwt, request objects). */
  clientKeys?: ClientKeys;
  /** Unix seconds. */
  now(): number;
  /** Prometheus metrics of this server, unless LATCH_METRICS_ADDRESS is off (observability/metrics.ts). */
  metrics?: Metrics;
  /** Logout tokens for the clients of a session that ends (core/oidc/backchannel-delivery.ts), one queue per server. */
  backchannelLogout?: BackchannelLogout;
}
