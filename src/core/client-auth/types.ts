import type { ThrottleDeps } from '../accounts/throttle.js';
import type { ClientRecord, ClientsRepository, ReplayRepository, TokenEndpointAuthMethod } from '../../storage/types.js';
import type { Params } from '../params.js';
import type { ClientKeys } from './client-keys.js';

export interface ClientAuthInput {
  /** The Authorization header, if any. */
  authorization: string | undefined;
  params: Params;
  /** The absolute URL of the endpoint being called (an accepted `aud` for client assertions). */
  endpointUrl: string;
  /** The caller's address, for the throttle. */
  address?: string;
}

export interface ClientAuthDeps {
  clients: Pick<ClientsRepository, 'find'>;
  replay: ReplayRepository;
  issuer: string;
  /** Every endpoint URL a client assertion may name as audience. */
  assertionAudiences: readonly string[];
  now: number;
  /** Throttles failing secrets and assertions (RFC 6749 §2.3.1); without it nothing is throttled. */
  throttle?: ThrottleDeps;
  /** The clients' keys from jwks or jwks_uri (client-keys.ts); without it only inline jwks are used. */
  clientKeys?: ClientKeys;
}

/** A credential found in the request, before it is checked against a client. */
export interface PresentedCredential {
  method: TokenEndpointAuthMethod;
  clientId: string;
  verify(client: ClientRecord, deps: ClientAuthDeps): Promise<void>;
}

export interface ClientAuthMethod {
  method: TokenEndpointAuthMethod;
  /** Returns the credential this method finds in the request, or undefined when the request does not use it. */
  detect(input: ClientAuthInput): PresentedCredential | undefined;
}
