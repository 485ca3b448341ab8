export const responseModes = ['query', 'fragment', 'form_post'] as const;
export type ResponseMode = (typeof responseModes)[number];

export interface ResponseType {
  /** The grant type a client needs registered to use this response type. */
  grantType: string;
  issuesCode: boolean;
  /** Returns an access token or ID token from the authorization endpoint (never in a query string). */
  returnsTokens: boolean;
  requiresOpenId: boolean;
  requiresNonce: boolean;
}

/** Supported response types, keyed by their space-separated values in sorted order. */
export const responseTypes: ReadonlyMap<string, ResponseType> = new Map([
  ['code', { grantType: 'authorization_code', issuesCode: true, returnsTokens: false, requiresOpenId: false, requiresNonce: false }],
]);

/** OAuth 2.0 Multiple Response Types §2.1 / §5: query for code, fragment when tokens are returned. */
export function defaultResponseMode(responseType: string): ResponseMode {
  const values = responseType.split(' ');
  return values.includes('token') || values.includes('id_token') ? 'fragment' : 'query';
}
