import type { Config } from '../config/schema.js';
import { createLogMailer } from './log-mailer.js';
import type { Mailer, MailLog } from './mailer.js';
import { createSmtpMailer, type SmtpTimeouts } from './smtp-mailer.js';

export interface MailerOptions {
  /** Where the log mailer writes; read when a message is sent (the app's logger exists after the mailer). */
  log: () => MailLog;
  timeouts?: Partial<SmtpTimeouts>;
}

/** The SMTP mailer when LATCH_SMTP_URL is set, else the log mailer. */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom'>, options: MailerOptions): Mailer {
  if (config.smtpUrl) return createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom, ...(options.timeouts ? { timeouts: options.timeouts } : {}) });
  return createLogMailer(options.log);
}
