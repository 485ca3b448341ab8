export { createMailer, type MailerOptions } from './create-mailer.js';
export { checkRecipient, MailAddressError, type MailLog, type Mailer, type MailMessage, MailUnavailableError, redactSmtpUrl } from './mailer.js';
export { createLogMailer, NOT_SENT_WARNING } from './log-mailer.js';
export { createSmtpMailer, defaultSmtpTimeouts, type SmtpMailerOptions, type SmtpTimeouts, smtpTransportOptions } from './smtp-mailer.js';
export { BRAND_LOGO_PATH, issuerLink, type MailBrand, mailBrand, type MailRecipient, passwordChangedMessage, resetPasswordMessage, signupAttemptMessage, verifyEmailMessage } from './messages.js';
