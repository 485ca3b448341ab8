/** RFC 9449 §5 / §7.1 / §8: the error codes a DPoP check can answer (invalid_token: a token used with the wrong scheme). */
export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';

/**
 * A DPoP proof that must be refused. Neutral on purpose: the token endpoint turns it into an OAuthError (JSON,
 * 400), a resource server into a `WWW-Authenticate: DPoP` challenge (401). `nonce` is the value to send in the
 * `DPoP-Nonce` header (use_dpop_nonce).
 */
export class DpopProofError extends Error {
  readonly code: DpopErrorCode;
  readonly description: string;
  readonly nonce: string | undefined;

  constructor(code: DpopErrorCode, description: string, nonce?: string) {
    super(`${code}: ${description}`);
    this.name = 'DpopProofError';
    this.code = code;
    this.description = description;
    this.nonce = nonce;
  }
}
