import type { KeyRing } from '../../keys/types.js';
import { OAuthError } from '../errors.js';
import { JWT_ACCESS_TOKEN_TYPE } from '../tokens/jwt-access-token.js';

/** OIDC Core §3.1.2.1: the `sub` of an id_token_hint this server issued (expired ones too); anything else is refused. */
export async function hintSubject(keys: Pick<KeyRing, 'verify'>, issuer: string, idTokenHint: string | undefined): Promise<string | undefined> {
  if (!idTokenHint) return undefined;
  try {
    const { payload, protectedHeader } = await keys.verify(idTokenHint, { allowExpired: true });
    // RFC 9068 §2.1: a JWT access token (typ at+jwt) is never accepted where an ID token is expected.
    const isAccessToken = protectedHeader.typ === JWT_ACCESS_TOKEN_TYPE;
    if (payload.iss === issuer && typeof payload.sub === 'string' && !isAccessToken) return payload.sub;
  } catch {
    // fall through
  }
  throw new OAuthError('invalid_request', 'id_token_hint is not a valid ID token issued by this server', { redirectable: true });
}
