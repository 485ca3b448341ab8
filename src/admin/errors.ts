/**
 * A wrong operator input. `field` is the metadata name (RFC 7591 for clients, OIDC claim names for
 * users, e.g. `redirect_uris`, `email`); `message` starts with it; `reason` is the message without it,
 * so that the CLI can name its own flag instead (`--redirect-uri: ...`).
 */
export class AdminInputError extends Error {
  readonly code = 'invalid_input';
  readonly reason: string;

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AdminInputError';
    this.reason = message;
  }
}

/** The user, client, API, grant or session named by the operator does not exist. */
export class AdminNotFoundError extends Error {
  readonly code = 'not_found';

  constructor(
    readonly kind: 'user' | 'client' | 'api' | 'grant' | 'session' | 'connection' | 'identity' | 'registration token',
    readonly id: string,
  ) {
    super(`${kind} not found: ${id}`);
    this.name = 'AdminNotFoundError';
  }
}
