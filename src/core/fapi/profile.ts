/**
 * The FAPI 2.0 Security Profile switch: per client (`latch_profile: "fapi2"`) or for every client (LATCH_FAPI2). It is
 * applied once, where a request loads its client (`profiledClients`): the implied metadata replaces what the client
 * registered, so that every check downstream (PAR, DPoP, client authentication, response types, algorithms) sees it.
 * The checks that are the profile's own (code lifetime, exact redirect URIs, no refresh token rotation, assertion
 * algorithms and audience) ask `isFapi2(client)`.
 */
import type { ClientMetadata, ClientRecord, ClientsRepository } from '../../storage/types.js';

/** The settings of the switch (the Config satisfies it). */
export interface ProfileSettings {
  /** LATCH_FAPI2: the profile for every client. */
  fapi2?: boolean;
}

/** FAPI 2.0 §5.4.1: "shall use PS256, ES256 or EdDSA (using the Ed25519 variant)" for signatures. */
export const FAPI2_ALGS: readonly string[] = ['PS256', 'ES256', 'EdDSA'];
/** FAPI 2.0 §5.3.2.1: "shall issue authorization codes with a maximum lifetime of 60 seconds". */
export const FAPI2_MAX_CODE_TTL = 60;
/** ES256 always has a key (LATCH_KEY_ALGORITHMS keeps RS256 and ES256), so an ID token can always be signed with it. */
const fallbackIdTokenAlg = 'ES256';

export function isFapi2(client: ClientRecord): boolean {
  return client.metadata.latch_profile === 'fapi2';
}

/** Whether the profile applies to this client, by its own metadata or server-wide. */
export function profileApplies(metadata: ClientMetadata, settings: ProfileSettings): boolean {
  return metadata.latch_profile === 'fapi2' || settings.fapi2 === true;
}

/**
 * The metadata a client has under the profile: what FAPI 2.0 requires replaces what it registered. A client that
 * cannot meet it (a public client, a client secret) is not weakened into passing: it fails client authentication.
 */
export function effectiveMetadata(metadata: ClientMetadata, settings: ProfileSettings): ClientMetadata {
  if (!profileApplies(metadata, settings)) return metadata;
  const effective: ClientMetadata = {
    ...metadata,
    latch_profile: 'fapi2',
    // FAPI 2.0 §5.3.2.1: "shall reject authorization requests sent without [RFC9126]".
    require_pushed_authorization_requests: true,
    // FAPI 2.0 §5.3.2.1: "shall only issue sender-constrained access tokens" (DPoP, RFC 9449).
    dpop_bound_access_tokens: true,
    // FAPI 2.0 §5.3.2.1: "shall only support confidential clients"; §5.3.2.1: client authentication by private_key_jwt
    // (or mTLS, which Latch does not offer).
    token_endpoint_auth_method: 'private_key_jwt',
    // FAPI 2.0 §5.3.2.2: "shall require the response_type value code" (no implicit, no hybrid).
    response_types: metadata.response_types.filter((r) => r === 'code'),
    // FAPI 2.0 §5.3.2.1: "shall reject requests using the resource owner password credentials grant"; no implicit.
    grant_types: metadata.grant_types.filter((g) => g !== 'implicit' && g !== 'password'),
    // FAPI 2.0 §5.4.1: ID tokens signed with PS256, ES256 or EdDSA only.
    id_token_signed_response_alg: FAPI2_ALGS.includes(metadata.id_token_signed_response_alg) ? metadata.id_token_signed_response_alg : fallbackIdTokenAlg,
  };
  if (metadata.token_endpoint_auth_signing_alg !== undefined && !FAPI2_ALGS.includes(metadata.token_endpoint_auth_signing_alg)) {
    delete effective.token_endpoint_auth_signing_alg;
  }
  if (metadata.userinfo_signed_response_alg !== undefined && !FAPI2_ALGS.includes(metadata.userinfo_signed_response_alg)) {
    effective.userinfo_signed_response_alg = fallbackIdTokenAlg;
  }
  if (metadata.request_object_signing_alg !== undefined && !FAPI2_ALGS.includes(metadata.request_object_signing_alg)) {
    delete effective.request_object_signing_alg;
  }
  return effective;
}

export function effectiveClient(client: ClientRecord, settings: ProfileSettings): ClientRecord {
  const metadata = effectiveMetadata(client.metadata, settings);
  return metadata === client.metadata ? client : { ...client, metadata };
}

/**
 * The client lookup of a request (token, PAR, authorization, introspection, revocation endpoints): each client found
 * with its effective metadata. Admin services keep reading the store itself, so that what is stored stays as registered.
 */
export function profiledClients(clients: Pick<ClientsRepository, 'find'>, settings: ProfileSettings): Pick<ClientsRepository, 'find'> {
  return {
    async find(clientId) {
      const client = await clients.find(clientId);
      return client && effectiveClient(client, settings);
    },
  };
}

/** FAPI 2.0 §5.3.2.1: the authorization code lifetime of this client. */
export function codeLifetime(client: ClientRecord, codeTtl: number): number {
  return isFapi2(client) ? Math.min(codeTtl, FAPI2_MAX_CODE_TTL) : codeTtl;
}

/** What a client's registered metadata says against the profile: each member and why (empty when consistent). */
export function fapi2Contradictions(metadata: ClientMetadata): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const say = (field: string, message: string) => out.push({ field, message: `${message} (FAPI 2.0 Security Profile)` });
  if (metadata.token_endpoint_auth_method !== 'private_key_jwt') {
    say('token_endpoint_auth_method', `must be private_key_jwt, not ${metadata.token_endpoint_auth_method}`);
  }
  const notCode = metadata.response_types.filter((r) => r !== 'code');
  if (notCode.length > 0) say('response_types', `must be code only; implicit and hybrid response types are not allowed: ${notCode.join(', ')}`);
  const refused = metadata.grant_types.filter((g) => g === 'implicit' || g === 'password');
  if (refused.length > 0) say('grant_types', `must not include ${refused.join(', ')}`);
  if (!FAPI2_ALGS.includes(metadata.id_token_signed_response_alg)) {
    say('id_token_signed_response_alg', `must be one of ${FAPI2_ALGS.join(', ')}, not ${metadata.id_token_signed_response_alg}`);
  }
  const algs: [string, string | undefined][] = [
    ['token_endpoint_auth_signing_alg', metadata.token_endpoint_auth_signing_alg],
    ['userinfo_signed_response_alg', metadata.userinfo_signed_response_alg],
    ['request_object_signing_alg', metadata.request_object_signing_alg],
  ];
  for (const [field, alg] of algs) {
    if (alg !== undefined && !FAPI2_ALGS.includes(alg)) say(field, `must be one of ${FAPI2_ALGS.join(', ')}, not ${alg}`);
  }
  if (metadata.require_pushed_authorization_requests === false) say('require_pushed_authorization_requests', 'must be true');
  if (metadata.dpop_bound_access_tokens === false) say('dpop_bound_access_tokens', 'must be true');
  for (const uri of metadata.redirect_uris) {
    // FAPI 2.0 §5.2.1: TLS protects every endpoint, the client's redirection endpoint included (no loopback http).
    if (!uri.startsWith('https://')) say('redirect_uris', `"${uri}" must use https`);
  }
  return out;
}
