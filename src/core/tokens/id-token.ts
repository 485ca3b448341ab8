import type { KeyRing, SigningAlg } from '../../keys/types.js';
import type { ClientRecord, UserRecord } from '../../storage/types.js';
import { acrFor } from '../accounts/acr.js';
import { claimsForScopes } from '../oidc/claims.js';
import { halfHash } from './half-hash.js';

export interface IdTokenInput {
  issuer: string;
  client: ClientRecord;
  user: UserRecord;
  scopes: readonly string[];
  authTime: number;
  /** How the person signed in (RFC 8176); `acr` is the level it reaches. */
  amr: readonly string[];
  sid: string | null;
  nonce: string | null;
  accessToken?: string;
  code?: string;
  now: number;
  ttl: number;
}

export function idTokenAlg(client: ClientRecord): SigningAlg {
  return (client.metadata.id_token_signed_response_alg || 'RS256') as SigningAlg;
}

/** OIDC Core §2: the ID token, signed with the client's registered algorithm (RS256 by default). */
export async function issueIdToken(input: IdTokenInput, keys: KeyRing): Promise<string> {
  const alg = idTokenAlg(input.client);
  const payload: Record<string, unknown> = {
    ...claimsForScopes(input.user, input.scopes),
    iss: input.issuer,
    sub: input.user.sub,
    aud: input.client.clientId,
    azp: input.client.clientId,
    iat: input.now,
    exp: input.now + input.ttl,
    auth_time: input.authTime,
    amr: [...input.amr],
    acr: acrFor(input.amr),
  };
  if (input.nonce) payload.nonce = input.nonce;
  if (input.sid) payload.sid = input.sid;
  if (input.accessToken) payload.at_hash = halfHash(input.accessToken, alg);
  if (input.code) payload.c_hash = halfHash(input.code, alg);
  return keys.sign(payload, { alg, typ: 'JWT' });
}
