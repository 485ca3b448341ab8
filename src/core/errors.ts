/**
 * The one error type of the protocol engine. `http/` maps it to RFC 6749 §5.2 JSON,
 * to an error redirect (RFC 6749 §4.1.2.1) when `redirectable`, or to an error page.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'account_selection_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

export interface OAuthErrorOptions {
  /** HTTP status; defaults to 400 (401 for invalid_client / invalid_token, 403 insufficient_scope). */
  status?: number;
  /** Internal detail for logs; never sent to the client. */
  detail?: string;
  /** True when the error may be sent to the client's redirect_uri (authorization endpoint only). */
  redirectable?: boolean;
  /** Extra response headers, e.g. WWW-Authenticate. */
  headers?: Record<string, string>;
}

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly redirectable: boolean;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
    this.code = code;
    this.description = description;
    this.status = options.status ?? defaultStatus[code] ?? 400;
    this.detail = options.detail;
    this.redirectable = options.redirectable ?? false;
    this.headers = options.headers ?? {};
  }

  /** The RFC 6749 §5.2 body. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export class InvalidRequest extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_request', description, options);
  }
}

export class InvalidClient extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_client', description, options);
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_grant', description, options);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_scope', description, options);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('unauthorized_client', description, options);
  }
}

export class InvalidToken extends OAuthError {
  constructor(description: string, options?: OAuthErrorOptions) {
    super('invalid_token', description, options);
  }
}

export function isOAuthError(err: unknown): err is OAuthError {
  return err instanceof OAuthError;
}
