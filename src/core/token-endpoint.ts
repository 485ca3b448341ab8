import type { ClientRecord } from '../storage/types.js';
import { OAuthError, UnauthorizedClient } from './errors.js';
import { grants } from './grants/registry.js';
import { requireProofFor } from './dpop/binding.js';
import type { DpopProof } from './dpop/proof.js';
import type { Grant, GrantDeps, TokenRequest, TokenResponse } from './grants/types.js';
import { onlyParams, type Params, required } from './params.js';

/** RFC 6749 §3.2: the token endpoint. The client is already authenticated by the caller. */
export async function handleTokenRequest(
  client: ClientRecord,
  params: Params,
  now: number,
  deps: GrantDeps,
  clientIp?: string,
  registry: ReadonlyMap<string, Grant> = grants,
  dpop?: DpopProof,
): Promise<TokenResponse> {
  const grantType = required(params, 'grant_type');
  const grant = registry.get(grantType);
  if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
  // RFC 6749 §5.2 unsupported_grant_type: a grant the operator has not enabled is not supported by this server.
  if (grant.enabled?.(deps.settings) === false) {
    throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not enabled on this server`);
  }
  // RFC 6749 §5.2 unauthorized_client: "The authenticated client is not authorized to use this authorization grant type."
  if (!client.metadata.grant_types.includes(grantType)) {
    throw new UnauthorizedClient(`this client is not allowed to use the ${grantType} grant`);
  }
  // RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters": a grant sees only those
  // it declares (ARCHITECTURE §Conventions 1).
  const declared = onlyParams(params, grant.parameters);
  // RFC 9449 §5.2 dpop_bound_access_tokens: no token without a proof for such a client.
  requireProofFor(client, dpop);
  const request: TokenRequest = { client, params: declared, now, ...(clientIp !== undefined && { clientIp }), ...(dpop && { dpop }) };
  return grant.handle(request, deps);
}
