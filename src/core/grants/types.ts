import type { MfaSetting } from '../accounts/mfa-policy.js';
import type { KeyRing } from '../../keys/types.js';
import type { ClientRecord, Store } from '../../storage/types.js';
import type { ThrottleDeps } from '../accounts/throttle.js';
import type { DpopProof } from '../dpop/proof.js';
import type { Params } from '../params.js';

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP when the access token is bound to the proof's key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: the type of the token issued by token exchange. */
  issued_token_type?: string;
}

export interface TokenPolicy {
  issuer: string;
  accessTokenTtl: number;
  idTokenTtl: number;
  refreshTokenTtl: number;
  /** OIDC Core §8.1: the salt of pairwise subjects, derived from the server secret (core/oidc/pairwise.ts). */
  pairwiseSalt: Buffer;
}

/** The settings that switch grants on (the Config satisfies it). */
export interface GrantSettings {
  passwordGrant: boolean;
  /** LATCH_MFA: a second factor for everyone (the password grant cannot give one). */
  mfa?: MfaSetting;
  /** LATCH_TOKEN_EXCHANGE: RFC 8693 token exchange for clients registered with it. */
  tokenExchange?: boolean;
}

export interface GrantDeps {
  store: Pick<Store, 'codes' | 'grants' | 'tokens' | 'users' | 'apis' | 'rateLimits' | 'deviceCodes' | 'events' | 'totpSecrets' | 'passkeys' | 'sessions'>;
  keys: KeyRing;
  policy: TokenPolicy;
  /** Operator switches for grants that are off by default. */
  settings: GrantSettings;
  /** Password failures, counted with the login page's (the password grant). */
  throttle: ThrottleDeps;
  /** Told when a sign-in's rehashed password could not be stored (core/accounts/login.ts). */
  reportRehashFailure(sub: string, error: unknown): void;
  /** Refresh token rotation: the reuse interval and the key successors are derived with. */
  refreshReuse: RefreshReusePolicy;
}

export interface RefreshReusePolicy {
  /** Seconds after a rotation during which the same client's replay gets the same successor back; 0: never. */
  interval: number;
  /** HMAC key, derived from the server secret, that derives a rotated refresh token's successor from it. */
  successorKey: Buffer;
}

export interface TokenRequest {
  client: ClientRecord;
  params: Params;
  now: number;
  /** The client's IP address, for per-address rate limits (the password grant). */
  clientIp?: string;
  /** RFC 9449 §5: the verified DPoP proof of this request, if it sent one; its key binds the tokens issued. */
  dpop?: DpopProof;
}

/** ARCHITECTURE §Conventions 1: a grant declares its type, its allowed parameters and its handler. */
export interface Grant {
  grantType: string;
  /** Parameters this grant reads, besides grant_type and the client authentication parameters. */
  parameters: readonly string[];
  handle(request: TokenRequest, deps: GrantDeps): Promise<TokenResponse>;
  /** Whether the operator enabled this grant; a grant without it is always on. */
  enabled?(settings: GrantSettings): boolean;
}
