import { ACR_VALUES_SUPPORTED } from '../accounts/acr.js';
import { supportedAuthMethods } from '../client-auth/authenticate.js';
import { deviceCodeGrantType } from '../device/device-authorization.js';
import { enabledGrantTypes } from '../grants/registry.js';
import type { GrantSettings } from '../grants/types.js';
import { requestObjectAlgorithms } from '../authorize/request-object.js';
import { authorizationSigningAlg, fapi2AuthorizationSigningAlg } from '../authorize/respond.js';
import { responseModes, responseTypes } from '../authorize/response-types.js';
import { claimsSupported, standardScopes } from './claims.js';
import { FAPI2_ALGS, type ProfileSettings } from '../fapi/profile.js';
import { registrationEnabled, registrationPath, type RegistrationMode } from '../registration/endpoint.js';
import { DPOP_SIGNING_ALGS } from '../dpop/proof.js';

export const endpointPaths = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
  introspection: '/introspect',
  revocation: '/revoke',
  endSession: '/logout',
  deviceAuthorization: '/device_authorization',
  /** RFC 8628 §3.2 verification_uri: the page where a person enters a device's user code. */
  deviceVerification: '/device',
  /** RFC 9126 §5: pushed authorization requests. */
  pushedAuthorizationRequest: '/par',
} as const;

export function endpointUrls(issuer: string): Record<keyof typeof endpointPaths, string> {
  return Object.fromEntries(Object.entries(endpointPaths).map(([name, path]) => [name, issuer + path])) as Record<
    keyof typeof endpointPaths,
    string
  >;
}

const clientAssertionAlgs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Settings of the authorization request that discovery states (LATCH_REQUIRE_PAR, LATCH_REQUEST_URI_REMOTE). */
export interface AuthorizationRequestSettings {
  requirePar?: boolean;
  requestUriRemote?: boolean;
}

/** OIDC Discovery 1.0 §3 and RFC 8414 §2: the provider metadata, computed once at start. */
export function providerMetadata(
  issuer: string,
  signingAlgs: readonly string[],
  settings: GrantSettings & ProfileSettings & AuthorizationRequestSettings & { registration?: RegistrationMode },
): Record<string, unknown> {
  const urls = endpointUrls(issuer);
  const authMethods = [...supportedAuthMethods];
  const metadata: Record<string, unknown> = {
    issuer,
    authorization_endpoint: urls.authorization,
    token_endpoint: urls.token,
    userinfo_endpoint: urls.userinfo,
    jwks_uri: urls.jwks,
    introspection_endpoint: urls.introspection,
    revocation_endpoint: urls.revocation,
    end_session_endpoint: urls.endSession,
    // RFC 8628 §4: the device authorization endpoint, listed only when the device code grant is enabled.
    ...(enabledGrantTypes(settings).includes(deviceCodeGrantType) ? { device_authorization_endpoint: urls.deviceAuthorization } : {}),
    // RFC 7591 §3 / RFC 8414 §2: registration_endpoint, only while LATCH_REGISTRATION is not off.
    ...(registrationEnabled(settings) ? { registration_endpoint: issuer + registrationPath } : {}),
    scopes_supported: [...standardScopes],
    response_types_supported: [...responseTypes.keys()],
    response_modes_supported: [...responseModes],
    // JARM §4.1: the alg of JWT responses (response_mode jwt, query.jwt, fragment.jwt, form_post.jwt).
    authorization_signing_alg_values_supported: [authorizationSigningAlg, fapi2AuthorizationSigningAlg],
    // RFC 8414 §2: grant_types_supported lists the token endpoint grants enabled here, plus "implicit" for the
    // response types that return tokens from the authorization endpoint.
    grant_types_supported: [...enabledGrantTypes(settings), 'implicit'],
    // OIDC Core §8: public, and pairwise for clients registered with subject_type pairwise (core/oidc/pairwise.ts).
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: [...signingAlgs],
    // OIDC Core §5.3.2: signed UserInfo responses, with the same keys as ID tokens.
    userinfo_signing_alg_values_supported: [...signingAlgs],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: clientAssertionAlgs,
    introspection_endpoint_auth_methods_supported: authMethods.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: clientAssertionAlgs,
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: clientAssertionAlgs,
    code_challenge_methods_supported: ['S256'],
    claims_supported: claimsSupported,
    // OIDC Discovery §3: the authentication context classes Latch can satisfy (core/accounts/acr.ts).
    acr_values_supported: [...ACR_VALUES_SUPPORTED],
    // OIDC Core §5.5 (core/oidc/claims-request.ts).
    claims_parameter_supported: true,
    // RFC 9126 §5: pushed authorization requests, and whether every client must use them.
    pushed_authorization_request_endpoint: urls.pushedAuthorizationRequest,
    require_pushed_authorization_requests: settings.requirePar === true || settings.fapi2 === true,
    // RFC 9101 §10.5 / OIDC Discovery §3: request objects by value and by reference (Latch's own /par request_uri
    // always; others only with LATCH_REQUEST_URI_REMOTE, which Latch does not ask to be registered first).
    request_parameter_supported: true,
    request_uri_parameter_supported: true,
    require_request_uri_registration: false,
    request_object_signing_alg_values_supported: [...requestObjectAlgorithms, 'none'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    authorization_response_iss_parameter_supported: true,
    // RFC 9449 §5.1: DPoP is always accepted at /token and /userinfo, with these (asymmetric) proof algorithms.
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    // OIDC Discovery §3: the languages of the pages (src/pages/messages; a test keeps the two lists equal).
    ui_locales_supported: ['en', 'de', 'fr', 'es'],
    // OIDC Back-Channel Logout 1.0 §2.1: logout tokens to every client of a session that ends, always with its sid.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    // OIDC Front-Channel Logout 1.0 §3: the logged-out page frames each client's frontchannel_logout_uri, with iss and sid.
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
  };
  return settings.fapi2 === true ? fapi2ProviderMetadata(metadata) : metadata;
}

/** LATCH_FAPI2: what every client is held to (core/fapi/profile.ts), advertised instead of the general offer. */
function fapi2ProviderMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const only = (key: string, allowed: readonly string[]) => (metadata[key] as string[]).filter((v) => allowed.includes(v));
  const out: Record<string, unknown> = {
    ...metadata,
    response_types_supported: ['code'],
    grant_types_supported: (metadata.grant_types_supported as string[]).filter((g) => g !== 'implicit' && g !== 'password'),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    id_token_signing_alg_values_supported: only('id_token_signing_alg_values_supported', FAPI2_ALGS),
  };
  for (const key of ['token_endpoint_auth_signing_alg_values_supported', 'introspection_endpoint_auth_signing_alg_values_supported', 'revocation_endpoint_auth_signing_alg_values_supported']) {
    out[key] = only(key, FAPI2_ALGS);
  }
  out.introspection_endpoint_auth_methods_supported = ['private_key_jwt'];
  out.revocation_endpoint_auth_methods_supported = ['private_key_jwt'];
  // FAPI 2.0 §5.3.2.2: response_type code only, so only the modes of a code response; JARM signs ES256 (§5.4.1).
  out.response_modes_supported = only('response_modes_supported', ['query', 'form_post', 'query.jwt', 'form_post.jwt', 'jwt']);
  out.authorization_signing_alg_values_supported = [fapi2AuthorizationSigningAlg];
  // FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA for every signature, request objects and DPoP proofs included.
  out.request_object_signing_alg_values_supported = only('request_object_signing_alg_values_supported', FAPI2_ALGS);
  out.dpop_signing_alg_values_supported = only('dpop_signing_alg_values_supported', FAPI2_ALGS);
  return out;
}
