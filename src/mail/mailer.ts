/**
 * How Latch sends email (address verification, password reset, "your password was changed"): one Mailer, created
 * at start in http/server.ts and handed to routes on AppContext. With LATCH_SMTP_URL it is an SMTP client
 * (smtp-mailer.ts); without it, a development stand-in that writes each message to the log (log-mailer.ts);
 * create-mailer.ts picks one.
 */
/** One email: the plain text and HTML parts of the same message (messages.ts renders both). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the message; throws MailUnavailableError when it did not. */
  send(message: MailMessage): Promise<void>;
}

/** The part of a pino (or Fastify) logger the mailers use. */
export interface MailLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The message could not be handed to the SMTP server (unreachable, timed out, refused the login, the sender or
 * the recipient). A route answers it with a 503 page: trying again later may work. Its message and fields never
 * hold the SMTP password, nor nodemailer's error (whose `command` may be the base64 AUTH line).
 */
export class MailUnavailableError extends Error {
  readonly code = 'LATCH_MAIL_UNAVAILABLE';
  /** Seconds after which a retry is worth it (`Retry-After`). */
  readonly retryAfter: number;
  /** nodemailer's error code (ECONNECTION, ETIMEDOUT, EAUTH, EENVELOPE, ...), when it gave one. */
  readonly reason: string | undefined;

  constructor(message: string, options: { reason?: string; retryAfter?: number } = {}) {
    super(message);
    this.name = 'MailUnavailableError';
    this.reason = options.reason;
    this.retryAfter = options.retryAfter ?? 30;
  }
}

/** A recipient that is not one plain address (a list, a name, a line break): refused before anything is sent. */
export class MailAddressError extends Error {
  readonly code = 'LATCH_MAIL_ADDRESS';
  constructor() {
    super('the recipient must be one email address');
    this.name = 'MailAddressError';
  }
}

const plainAddress = /^[^\s@<>",;:()[\]\\]+@[^\s@<>",;:()[\]\\]+$/;

/** Throws MailAddressError unless `to` is one plain address (so no header injection, no extra recipients). */
export function checkRecipient(to: string): void {
  if (to.length > 254 || !plainAddress.test(to)) throw new MailAddressError();
}

/** LATCH_SMTP_URL without its password, for log lines and error messages. */
export function redactSmtpUrl(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}`;
  } catch {
    return '(not a URL)';
  }
}
