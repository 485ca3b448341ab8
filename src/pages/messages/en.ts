/**
 * English: the catalogue that defines the keys. Every page string lives here and in its translations (de, fr, es),
 * which are typed as `Catalogue`, so a missing or extra key fails the typecheck; messages.test.ts checks the same at
 * run time, and that every translation keeps the placeholders ({client}, {email}, ...) of the English text.
 */
export const en = {
  // Every page.
  'page.footer_label': 'Links',
  'page.privacy': 'Privacy',
  'page.terms': 'Terms',
  'page.support': 'Help',
  'page.close_window': 'You can close this window.',
  'action.continue': 'Continue',
  'action.allow': 'Allow',
  'action.deny': 'Deny',

  // Sign in.
  'login.title': 'Sign in',
  'login.heading': 'Sign in',
  'login.lead': 'to continue to {client}',
  'login.email': 'Email address',
  'login.password': 'Password',
  'login.error_invalid': 'Incorrect email or password.',
  'login.error_throttled': 'Too many failed sign-ins for this account from your network. Try again {wait}.',
  'login.error_disabled': 'This account is disabled. Ask the administrator of this site to enable it again.',
  'wait.second': 'in 1 second',
  'wait.seconds': 'in {n} seconds',
  'wait.minutes': 'in {n} minutes',

  // Consent.
  'consent.title': 'Allow {client}?',
  'consent.heading': '{client} wants to access your account',
  'consent.signed_in_as': 'Signed in as {email}',
  'consent.lead': 'This will allow {client} to use:',
  'consent.api_lead': 'In {api}:',
  'consent.trust': 'Only allow this if you trust {client}.',
  'consent.nothing': '{client} is not asking for any of your personal information.',
  'consent.permission': 'Permission:',
  'consent.client_uri': 'Website',
  'consent.policy_uri': 'Privacy policy',
  'consent.tos_uri': 'Terms of service',
  'consent.about_client': 'About {client}',
  'scope.openid': 'Sign you in (your user ID)',
  'scope.profile': 'Your basic profile (name, picture, …)',
  'scope.email': 'Your email address',
  'scope.address': 'Your postal address',
  'scope.phone': 'Your phone number',
  'scope.offline_access': 'Keep access while you are away (stay signed in)',

  // Device flow (RFC 8628).
  'device.code_title': 'Connect a device',
  'device.code_heading': 'Connect a device',
  'device.code_lead': 'Enter the code shown on your TV, console or terminal.',
  'device.code_label': 'Code',
  'device.code_unknown': 'That code is not valid, or it has expired. Check the code on your device and try again.',
  'device.code_throttled': 'Too many wrong codes from your network. Try again {wait}.',
  'device.confirm_title': 'Allow {client} on your device?',
  'device.confirm_heading': '{client} on your device wants to access your account',
  'device.confirm_lead': 'It will be able to use:',
  'device.confirm_check': 'Did you start this on your device? Check that it shows this code:',
  'device.confirm_warning': 'If you did not start this, or the code is different, deny: someone may be trying to get access to your account.',
  'device.done_title': 'Device connected',
  'device.done_heading': 'You can return to your device',
  'device.done_lead': '{client} is now connected to your account. It will continue in a few seconds.',
  'device.denied_title': 'Access denied',
  'device.denied_heading': 'Access denied',
  'device.denied_lead': '{client} was not given access to your account.',

  // Logout (OpenID Connect RP-Initiated Logout).
  'logout.title': 'Sign out',
  'logout.heading': 'Do you want to sign out?',
  'logout.lead_client': '{client} is asking to sign you out.',
  'logout.lead': 'You will be signed out of this device.',
  'logout.stay': 'Stay signed in',
  'logout.sign_out': 'Sign out',
  'logged_out.title': 'Signed out',
  'logged_out.heading': 'You are signed out',
  'logged_out.lead_client': 'You have been signed out of {client}.',
  'still_signed_in.title': 'Still signed in',
  'still_signed_in.heading': 'You are still signed in',
  'still_signed_in.lead_client': 'You chose to stay signed in, although {client} asked to sign you out.',
  'still_signed_in.lead': 'You chose to stay signed in.',

  // Form post response mode.
  'form_post.title': 'Returning to the application',
  'form_post.heading': 'Returning to the application',
  'form_post.noscript': 'JavaScript is turned off. Select Continue to go back to the application.',

  // Errors.
  'error.title': 'Error',
  'error.heading': 'Something went wrong',
  'error.generic': 'The request could not be completed.',
  'error.code': 'Error code:',
  'error.details': 'Details for the application’s developers:',
  'error.close': 'You can close this window and go back to the application you came from.',
  'error.invalid_request': 'The application sent a request that cannot be accepted.',
  'error.invalid_client': 'The application is not known here.',
  'error.unauthorized_client': 'The application is not allowed to sign you in this way.',
  'error.access_denied': 'Access was denied.',
  'error.server_error': 'Something went wrong on our side. Try again later.',
  'error.temporarily_unavailable': 'The service is unavailable right now. Try again in a moment.',
  'error.sign_in_expired': 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.',
  'error.form_expired': 'The form has expired. Reload the page to continue, or go back to the application and start again.',
  'error.device_form_expired': 'The form has expired. Reload the page and enter the code again.',
  'error.device_code_gone': 'This code has expired or was already used. Start again on your device to get a new code.',
  'error.logout_form_expired': 'The form has expired. Try signing out again.',

  // Email (mail/messages.ts).
  'mail.greeting': 'Hello,',
  'mail.link_fallback': 'If the button does not work, copy this link into your browser:',
  'mail.sent_by': 'This email was sent by {product}. It was sent automatically; replies are not read.',
  'mail.verify.subject': 'Verify your email address for {product}',
  'mail.verify.lead': 'To finish setting up your {product} account, confirm that {email} is your email address.',
  'mail.verify.action': 'Verify email address',
  'mail.verify.expires': 'The link works once and expires in {minutes} minutes.',
  'mail.verify.ignore': 'If you did not create an account, you can ignore this email.',
  'mail.reset.subject': 'Reset your {product} password',
  'mail.reset.lead': 'Someone asked to reset the password of the {product} account for {email}. To choose a new password, open this link:',
  'mail.reset.action': 'Reset password',
  'mail.reset.expires': 'The link works once and expires in {minutes} minutes.',
  'mail.reset.ignore': 'If you did not ask for this, ignore this email: your password stays as it is.',
  'mail.changed.subject': 'Your {product} password was changed',
  'mail.changed.lead': 'The password of the {product} account for {email} was just changed.',
  'mail.changed.not_you': 'If you did not change it, someone else may know your password: reset it right away and tell the support of this site.',
  'mail.changed.action': 'Reset password',
} as const;

export type MessageKey = keyof typeof en;

/** A translation: every key of the English catalogue, and no other. */
export type Catalogue = { readonly [K in MessageKey]: string };
