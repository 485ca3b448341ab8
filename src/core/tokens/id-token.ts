import type { KeyRing, SigningAlg } from '../../keys/types.js';
import type { ClientRecord, UserRecord } from '../../storage/types.js';
import { releasedClaims } from '../oidc/claims.js';
import { acrToState, type ClaimsRequest } from '../oidc/claims-request.js';
import { subjectFor } from '../oidc/pairwise.js';
import { spaceList } from '../params.js';
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
  /** OIDC Core §5.5: the claims parameter of the authorization request, kept with the code and tokens. */
  claims?: ClaimsRequest | undefined;
  /** OIDC Core §8.1: the salt of pairwise subjects (derived from the server secret). */
  pairwiseSalt: Buffer | undefined;
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
    // OIDC Core §5.4 and §5.5: the claims of the scopes, and those the claims parameter asks for in the ID token.
    ...releasedClaims(input.user, input.scopes, input.claims?.id_token, spaceList(input.client.metadata.scope)),
    iss: input.issuer,
    // OIDC Core §8: the client's own sub for the person when it is registered with subject_type pairwise.
    sub: subjectFor(input.client, input.user.sub, input.pairwiseSalt),
    aud: input.client.clientId,
    azp: input.client.clientId,
    iat: input.now,
    exp: input.now + input.ttl,
    // OIDC Core §2: auth_time is REQUIRED with max_age or require_auth_time, and when requested as essential (§5.5.1);
    // Latch states it in every ID token, which satisfies them all.
    auth_time: input.authTime,
    amr: [...input.amr],
    acr: acrToState(input.amr, input.claims),
  };
  if (input.nonce) payload.nonce = input.nonce;
  if (input.sid) payload.sid = input.sid;
  if (input.accessToken) payload.at_hash = halfHash(input.accessToken, alg);
  if (input.code) payload.c_hash = halfHash(input.code, alg);
  return keys.sign(payload, { alg, typ: 'JWT' });
}
