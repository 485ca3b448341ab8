/**
 * The development stand-in for SMTP: each message goes to the log, after a warning that says it was not sent.
 * The HTML part is left out (the text part has the same words and links).
 */
import { checkRecipient, type Mailer, type MailLog } from './mailer.js';

export const NOT_SENT_WARNING = 'LATCH_SMTP_URL is not set: this email was written to the log instead of being sent';

export function createLogMailer(log: () => MailLog): Mailer {
  return {
    async send(message) {
      checkRecipient(message.to);
      const logger = log();
      logger.warn({ event: 'mail.not_sent', to: message.to }, NOT_SENT_WARNING);
      logger.info({ event: 'mail.logged', to: message.to, subject: message.subject, text: message.text }, `email to ${message.to}: ${message.subject}`);
    },
  };
}
