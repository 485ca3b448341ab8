/** OpenID Connect Back-Channel Logout 1.0 §2.4: the logout token, signed like the client's ID tokens. */
import type { KeyRing } from '../../keys/types.js';
import type { ClientRecord } from '../../storage/types.js';
import { randomToken } from './hash.js';
import { idTokenAlg } from './id-token.js';

/** §2.4 (and RFC 8725 §3.11): the explicit type, so that a logout token is never taken for an ID token. */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Short-lived: the RP acts on it at once (§2.4 recommends a lifetime of two minutes or less). */
export const LOGOUT_TOKEN_TTL = 120;

export interface LogoutTokenInput {
  issuer: string;
  client: ClientRecord;
  /** The subject as this client sees it (pairwise.ts subjectFor). */
  sub: string;
  /** The session that ended; null when every session of the person ended and none is known. */
  sid: string | null;
  now: number;
  ttl?: number;
}

export function issueLogoutToken(input: LogoutTokenInput, keys: Pick<KeyRing, 'sign'>): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: input.issuer,
    // §2.4: sub and/or sid; Latch always knows the person, and names the session whenever it is known.
    sub: input.sub,
    aud: input.client.clientId,
    iat: input.now,
    exp: input.now + (input.ttl ?? LOGOUT_TOKEN_TTL),
    // §2.4: a unique identifier, so that the RP can detect a replay.
    jti: randomToken(16),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
  if (input.sid !== null) payload.sid = input.sid;
  // §2.4: "A Logout Token MUST NOT contain a nonce Claim" (nothing here ever adds one).
  return keys.sign(payload, { alg: idTokenAlg(input.client), typ: LOGOUT_TOKEN_TYPE });
}
