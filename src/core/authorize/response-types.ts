/** OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode, and JARM §2.3 (the response as a signed JWT). */
export const responseModes = ['query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt'] as const;
export type RequestedResponseMode = (typeof responseModes)[number];
/** The mode a response is delivered in: `jwt` is resolved to the response type's default (JARM §2.3.4). */
export type ResponseMode = Exclude<RequestedResponseMode, 'jwt'>;

/** JARM §2.3.4: `jwt` means the response type's default mode, with the response as a JWT. */
export function resolveResponseMode(requested: RequestedResponseMode, responseType: string): ResponseMode {
  return requested === 'jwt' ? `${defaultResponseMode(responseType)}.jwt` : requested;
}

/** The plain mode under a JWT mode, and whether the response is a JWT (JARM §2.3.1-§2.3.3). */
export function deliveryOf(mode: ResponseMode): { base: 'query' | 'fragment' | 'form_post'; jwt: boolean } {
  const jwt = mode.endsWith('.jwt');
  return { base: (jwt ? mode.slice(0, -4) : mode) as 'query' | 'fragment' | 'form_post', jwt };
}

export interface ResponseType {
  /**
   * The grant types a client needs registered to use this response type. RFC 7591 §2.1 pairs them: `code` needs
   * authorization_code; `token` and `id_token` need implicit (OIDC Registration §2); hybrid types need both.
   */
  grantTypes: readonly string[];
  issuesCode: boolean;
  /** Returns an access token from the authorization endpoint. */
  returnsAccessToken: boolean;
  /** Returns an ID token from the authorization endpoint. */
  returnsIdToken: boolean;
  /** Returns an access token or ID token from the authorization endpoint (never in a query string). */
  returnsTokens: boolean;
  requiresOpenId: boolean;
  requiresNonce: boolean;
}

function responseType(values: string): [string, ResponseType] {
  const parts = values.split(' ');
  const issuesCode = parts.includes('code');
  const returnsAccessToken = parts.includes('token');
  const returnsIdToken = parts.includes('id_token');
  const grantTypes = [...(issuesCode ? ['authorization_code'] : []), ...(returnsAccessToken || returnsIdToken ? ['implicit'] : [])];
  return [
    values,
    {
      grantTypes,
      issuesCode,
      returnsAccessToken,
      returnsIdToken,
      returnsTokens: returnsAccessToken || returnsIdToken,
      // OIDC Core §3.2 / §3.3: an ID token is only issued for an OpenID Connect (scope openid) request.
      requiresOpenId: returnsIdToken,
      // OIDC Core §3.2.2.1 (implicit) and §3.3.2.1 (hybrid, errata 2): nonce is REQUIRED whenever the
      // authorization endpoint returns an ID token; OPTIONAL for `code` and `code token`.
      requiresNonce: returnsIdToken,
    },
  ];
}

/**
 * Supported response types, keyed by their space-separated values in sorted order: the authorization code flow
 * (RFC 6749 §4.1), the implicit flow (OIDC Core §3.2) and the hybrid flow (OIDC Core §3.3). `token` alone
 * (RFC 6749 §4.2 without OpenID) is not offered: RFC 9700 §2.1.2 says not to use it.
 */
export const responseTypes: ReadonlyMap<string, ResponseType> = new Map(
  ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'].map(responseType),
);

/** OAuth 2.0 Multiple Response Types §2.1 / §5: query for code, fragment when tokens are returned. */
export function defaultResponseMode(responseType: string): 'query' | 'fragment' {
  const values = responseType.split(' ');
  return values.includes('token') || values.includes('id_token') ? 'fragment' : 'query';
}
