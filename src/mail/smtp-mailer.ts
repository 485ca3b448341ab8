/**
 * Email through an SMTP server (LATCH_SMTP_URL) with nodemailer: one connection per message, every phase under a
 * timeout, and any failure turned into MailUnavailableError, so a route can answer 503 and nothing crashes.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { isLoopbackHost } from '../config/brand-values.js';
import { checkRecipient, type Mailer, MailUnavailableError, redactSmtpUrl } from './mailer.js';

export interface SmtpTimeouts {
  /** Milliseconds to open the TCP (or TLS) connection. */
  connect: number;
  /** Milliseconds for the server's greeting once connected. */
  greeting: number;
  /** Milliseconds of silence on the connection before giving up. */
  socket: number;
  /** Milliseconds for the whole delivery, whatever the phases took (the connection then ends at its socket timeout). */
  total: number;
}

export const defaultSmtpTimeouts: SmtpTimeouts = { connect: 10_000, greeting: 10_000, socket: 20_000, total: 30_000 };

export interface SmtpMailerOptions {
  /** smtp:// or smtps:// URL, validated by the config schema; user and password percent-encoded. */
  url: string;
  /** The From header (LATCH_MAIL_FROM). */
  from: string;
  timeouts?: Partial<SmtpTimeouts>;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * nodemailer's options for LATCH_SMTP_URL. smtp:// upgrades with STARTTLS when the server offers it; with a
 * password and a host that is not loopback, the upgrade is required (`requireTLS`), so a network that strips
 * STARTTLS from the server's answer never gets the password in clear.
 */
export function smtpTransportOptions(smtpUrl: string, timeouts: SmtpTimeouts): SMTPTransport.Options {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const auth = url.username ? { user: decode(url.username), pass: decode(url.password) } : undefined;
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && auth !== undefined && !isLoopbackHost(url.hostname),
    ...(auth ? { auth } : {}),
    connectionTimeout: timeouts.connect,
    greetingTimeout: timeouts.greeting,
    socketTimeout: timeouts.socket,
    dnsTimeout: timeouts.connect,
    logger: false,
    debug: false,
  };
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const timeouts = { ...defaultSmtpTimeouts, ...options.timeouts };
  const where = redactSmtpUrl(options.url);
  const password = decode(new URL(options.url).password);
  const transport = nodemailer.createTransport(smtpTransportOptions(options.url, timeouts));
  // Only a pooled transport emits errors; a listener keeps an unexpected one from becoming an uncaught exception.
  transport.on('error', () => undefined);

  const unavailable = (error: unknown): MailUnavailableError => {
    const reason = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
    let detail = error instanceof Error ? error.message : String(error);
    if (password) detail = detail.split(password).join('***');
    return new MailUnavailableError(`the SMTP server ${where} did not take the message (${reason ?? 'error'}: ${detail})`, reason ? { reason } : {});
  };

  return {
    async send(message) {
      checkRecipient(message.to);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MailUnavailableError(`the SMTP server ${where} did not take the message within ${timeouts.total} ms`, { reason: 'ETIMEDOUT' })), timeouts.total);
      });
      const delivery = transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      // A delivery that fails after the deadline has already answered must not become an unhandled rejection.
      delivery.catch(() => undefined);
      try {
        await Promise.race([delivery, deadline]);
      } catch (error) {
        throw error instanceof MailUnavailableError ? error : unavailable(error);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
