import type { KeyRing } from '../../keys/types.js';
import type { ClientRecord, Store } from '../../storage/types.js';
import type { Params } from '../params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

export interface TokenPolicy {
  issuer: string;
  accessTokenTtl: number;
  idTokenTtl: number;
  refreshTokenTtl: number;
}

export interface GrantDeps {
  store: Pick<Store, 'codes' | 'grants' | 'tokens' | 'users'>;
  keys: KeyRing;
  policy: TokenPolicy;
}

export interface TokenRequest {
  client: ClientRecord;
  params: Params;
  now: number;
}

/** ARCHITECTURE §Conventions 1: a grant declares its type, its allowed parameters and its handler. */
export interface Grant {
  grantType: string;
  /** Parameters this grant reads, besides grant_type and the client authentication parameters. */
  parameters: readonly string[];
  handle(request: TokenRequest, deps: GrantDeps): Promise<TokenResponse>;
}
