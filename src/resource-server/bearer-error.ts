import { dpopChallenge } from '../core/dpop/resource.js';

/**
 * RFC 6750 §3.1 error codes, and RFC 9449 §7.1 / §9 invalid_dpop_proof and use_dpop_nonce; `undefined` is a request
 * without any access token (a bare challenge).
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';

const statusFor: Record<BearerErrorCode, number> = {
  // RFC 6750 §3.1: invalid_request "SHOULD respond with the HTTP 400", invalid_token 401, insufficient_scope 403.
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  // RFC 9449 §7.1 / §9: 401 with a DPoP challenge.
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
};

/** RFC 6750 §3: auth-param values are quoted; error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

/** A request the resource server must refuse, with the RFC 6750 answer: status, WWW-Authenticate and a JSON body. */
export class BearerError extends Error {
  readonly code: BearerErrorCode | undefined;
  readonly status: number;
  readonly description: string;
  /** The scope the request needs (insufficient_scope). */
  readonly scope: string | undefined;
  readonly headers: { 'WWW-Authenticate': string; 'DPoP-Nonce'?: string };

  constructor(
    code: BearerErrorCode | undefined,
    description: string,
    options: {
      realm?: string | undefined;
      scope?: string | undefined;
      /** RFC 9449 §7.1: answer with a DPoP challenge naming these proof algorithms (a DPoP request or token). */
      dpopAlgorithms?: readonly string[] | undefined;
      /** RFC 9449 §9: the nonce the client must put in its next proof. */
      nonce?: string | undefined;
    } = {},
  ) {
    super(code ? `${code}: ${description}` : description);
    this.name = 'BearerError';
    this.code = code;
    this.status = code ? statusFor[code] : 401;
    this.description = description;
    this.scope = options.scope;
    const params: string[] = [];
    if (options.realm !== undefined) params.push(`realm=${quoted(options.realm)}`);
    // RFC 6750 §3.1: "If the request lacks any authentication information ... the resource server SHOULD NOT
    // include an error code or other error information."
    if (code) {
      params.push(`error=${quoted(code)}`, `error_description=${quoted(description)}`);
      if (options.scope !== undefined) params.push(`scope=${quoted(options.scope)}`);
    }
    this.headers = { 'WWW-Authenticate': params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer' };
    if (options.dpopAlgorithms !== undefined) {
      this.headers['WWW-Authenticate'] = dpopChallenge({ code, description }, { realm: options.realm, algorithms: options.dpopAlgorithms, scope: options.scope });
    }
    if (options.nonce !== undefined) this.headers['DPoP-Nonce'] = options.nonce;
  }

  /** The response body: `{ error, error_description }` (RFC 6749 §5.2 style) or `{ error: "unauthorized" }` without a token. */
  toJSON(): Record<string, string> {
    const body: Record<string, string> = { error: this.code ?? 'unauthorized', error_description: this.description };
    if (this.scope !== undefined) body.scope = this.scope;
    return body;
  }
}

/**
 * Latch could not be asked (discovery, JWKS or introspection failed): not the client's fault, so a 503 without a
 * bearer challenge. The detail is for logs.
 */
export class AuthorizationServerUnavailable extends Error {
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthorizationServerUnavailable';
  }

  toJSON(): Record<string, string> {
    return { error: 'temporarily_unavailable', error_description: 'the authorization server could not be reached; try again later' };
  }
}

export function isBearerError(err: unknown): err is BearerError {
  return err instanceof BearerError;
}
