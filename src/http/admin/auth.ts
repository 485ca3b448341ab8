/**
 * Who may call the admin API: a bearer access token (RFC 6750 §2.1) issued by this Latch for the built-in API
 * `urn:latch:admin` (RFC 8707 audience). Admin tokens are opaque, so each call looks the token up and sees at
 * once a revocation, a revoked grant, a disabled person or a removed admin role.
 */
import type { FastifyRequest } from 'fastify';
import { ADMIN_API, ADMIN_ROLE, type ADMIN_SCOPES } from '../../admin/builtins.js';
import { isTokenActive } from '../../core/tokens/opaque.js';
import { tokenKey } from '../../core/tokens/token-key.js';
import type { Actor } from '../../observability/events.js';
import { BearerError } from '../../resource-server/bearer-error.js';
import type { Store, TokenRecord } from '../../storage/types.js';

export type AdminScope = (typeof ADMIN_SCOPES)[number];
export const ADMIN_REALM = 'latch admin API';

export interface AdminCaller {
  actor: Actor;
  scopes: ReadonlySet<string>;
  token: TokenRecord;
}

const invalidToken = (description: string) => new BearerError('invalid_token', description, { realm: ADMIN_REALM });

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`; no token in the query or the body here. */
export function bearerValue(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization.trim());
  // RFC 6750 §3.1: "If the request lacks any authentication information ... SHOULD NOT include an error code".
  if (!match) return undefined;
  const value = match[1]?.trim() ?? '';
  // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new BearerError('invalid_request', 'the Authorization header is not "Bearer <token>"', { realm: ADMIN_REALM });
  }
  return value;
}

export async function authenticateAdmin(request: FastifyRequest, store: Pick<Store, 'tokens' | 'users'>, now: number): Promise<AdminCaller> {
  const value = bearerValue(request.headers.authorization);
  if (value === undefined) throw new BearerError(undefined, 'an access token for urn:latch:admin is required', { realm: ADMIN_REALM });
  const found = await store.tokens.findWithGrant(tokenKey(value));
  // RFC 6750 §3.1 invalid_token: "expired, revoked, malformed, or invalid for other reasons".
  if (!found || found.token.kind !== 'access_token') throw invalidToken('the access token is not valid');
  const { token, grantRevoked } = found;
  if (token.revokedAt !== null || grantRevoked) throw invalidToken('the access token has been revoked');
  if (!isTokenActive(token, now)) throw invalidToken('the access token has expired');
  // RFC 8707 §2 / RFC 9068 §4: a token for another API must not be accepted here.
  if (token.audience !== ADMIN_API) throw invalidToken(`the access token is not for ${ADMIN_API}`);
  if (token.sub !== null) {
    const user = await store.users.findBySub(token.sub);
    if (!user) throw invalidToken('the person of this access token no longer exists');
    if (user.disabledAt !== null && user.disabledAt !== undefined) throw invalidToken('the person of this access token is disabled');
    if (!(user.roles ?? []).includes(ADMIN_ROLE)) throw invalidToken(`the person of this access token does not have the ${ADMIN_ROLE} role`);
  }
  return {
    actor: { sub: token.sub, clientId: token.clientId, address: request.ip },
    scopes: new Set(token.scope.split(' ').filter(Boolean)),
    token,
  };
}

/** RFC 6750 §3.1 insufficient_scope: 403, naming the scope the request needs. */
export function requireScope(caller: AdminCaller, scope: AdminScope): void {
  if (!caller.scopes.has(scope)) {
    throw new BearerError('insufficient_scope', `this request needs the scope ${scope}`, { realm: ADMIN_REALM, scope });
  }
}
