import { ACR_VALUES_SUPPORTED } from '../accounts/acr.js';
import { supportedAuthMethods } from '../client-auth/authenticate.js';
import { deviceCodeGrantType } from '../device/device-authorization.js';
import { enabledGrantTypes } from '../grants/registry.js';
import type { GrantSettings } from '../grants/types.js';
import { responseModes, responseTypes } from '../authorize/response-types.js';
import { claimsSupported, standardScopes } from './claims.js';
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
} as const;

export function endpointUrls(issuer: string): Record<keyof typeof endpointPaths, string> {
  return Object.fromEntries(Object.entries(endpointPaths).map(([name, path]) => [name, issuer + path])) as Record<
    keyof typeof endpointPaths,
    string
  >;
}

const clientAssertionAlgs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** OIDC Discovery 1.0 §3 and RFC 8414 §2: the provider metadata, computed once at start. */
export function providerMetadata(issuer: string, signingAlgs: readonly string[], settings: GrantSettings): Record<string, unknown> {
  const urls = endpointUrls(issuer);
  const authMethods = [...supportedAuthMethods];
  return {
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
    scopes_supported: [...standardScopes],
    response_types_supported: [...responseTypes.keys()],
    response_modes_supported: [...responseModes],
    // RFC 8414 §2: grant_types_supported lists the token endpoint grants enabled here, plus "implicit" for the
    // response types that return tokens from the authorization endpoint.
    grant_types_supported: [...enabledGrantTypes(settings), 'implicit'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...signingAlgs],
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
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    authorization_response_iss_parameter_supported: true,
    // RFC 9449 §5.1: DPoP is always accepted at /token and /userinfo, with these (asymmetric) proof algorithms.
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    // OIDC Discovery §3: the languages of the pages (src/pages/messages; a test keeps the two lists equal).
    ui_locales_supported: ['en', 'de', 'fr', 'es'],
  };
}
