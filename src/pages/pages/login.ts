import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';
import { upstreamButtons, type UpstreamChoice } from './federation.js';
import { passkeyBlock, passkeyButton, passkeyScriptTags, type PasskeyCeremony } from './second-factor.js';

export interface LoginPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  /** Prefills the email field, e.g. from login_hint. */
  email?: string;
  /** A message of the catalogues (or text already in the page's language). */
  error?: string | PageMessage;
  /** Accounts that look after themselves (issue 13): links under the form, hidden fields, and "send the link again". */
  accountLinks?: LoginAccountLinks;
  /** Federation: a "Continue with <name>" button for each enabled connection. */
  upstreams?: readonly UpstreamChoice[];
  /** Passwordless sign-in with a passkey (issue 13): conditional UI in the email field, and a button. */
  passkey?: PasskeyCeremony;
}

export interface LoginAccountLinks {
  /** "Create an account", only when sign-up is open. */
  signupHref?: string | undefined;
  /** "Forgot password?". */
  forgotHref?: string | undefined;
  /** More hidden fields of the login form (the account page's return path). */
  hidden?: Readonly<Record<string, string>>;
  /** The account signed in is not verified yet: a form that mails the link again. */
  resendAction?: string | undefined;
}

function accountLinksMarkup(t: ReturnType<typeof translator>, csrf: string, email: string | undefined, links: LoginAccountLinks | undefined) {
  if (!links) return '';
  const resend = links.resendAction
    ? html`<form method="post" action="${safeUrl(links.resendAction)}" class="resend-form">
${hiddenInput('csrf', csrf)}
${hiddenInput('email', email ?? '')}
<button type="submit" class="button button-secondary">${t.text('signup.resend')}</button>
</form>
`
    : '';
  const items = [
    links.forgotHref ? html`<a class="forgot-link" href="${safeUrl(links.forgotHref)}">${t.text('reset.forgot_link')}</a>` : '',
    links.signupHref ? html`<a class="signup-link" href="${safeUrl(links.signupHref)}">${t.text('signup.link')}</a>` : '',
  ];
  return html`${resend}${items.some(Boolean) ? html`<p class="login-links">${items}</p>` : ''}`;
}

/**
 * The other ways in under the password form: "Continue with <name>" for each connection, and the passkey button
 * (shown only where the browser can use passkeys, so it brings its own "or" only when it is alone).
 */
function otherWays(t: ReturnType<typeof translator>, csrf: string, upstreams: readonly UpstreamChoice[] | undefined, passkey: PasskeyCeremony | undefined) {
  const buttons = upstreams?.length ? html`\n${upstreamButtons(t, upstreams, csrf)}` : '';
  if (!passkey) return buttons;
  const divider = buttons ? '' : html`<div class="divider">${t.text('factor.or')}</div>\n`;
  return html`${buttons}
${passkeyBlock(html`${divider}${passkeyButton(t, 'authenticate', passkey, csrf, t.text('factor.sign_in_passkey'))}`)}
${passkeyScriptTags}`;
}

export function loginPage({ action, csrf, clientName, email, error, accountLinks, upstreams, passkey, ...chrome }: LoginPageOptions): string {
  const t = translator(chrome.locale);
  const hasEmail = email !== undefined && email !== '';
  const invalid = error ? html` aria-invalid="true" aria-describedby="login-error"` : '';
  const body = html`<h1>${t.text('login.heading')}</h1>
<p class="lead">${t.markup('login.lead', { client: html`<strong>${clientName}</strong>` })}</p>
${error ? html`<div class="alert" role="alert" id="login-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${Object.entries(accountLinks?.hidden ?? {}).map(([name, value]) => hiddenInput(name, value))}
<div class="field">
<label for="email">${t.text('login.email')}</label>
<input id="email" type="email" name="email" autocomplete="${passkey ? 'username webauthn' : 'username'}" required autocapitalize="none" spellcheck="false" value="${email ?? ''}"${invalid}${hasEmail ? '' : html` autofocus`}>
</div>
<div class="field">
<label for="password">${t.text('login.password')}</label>
<input id="password" type="password" name="password" autocomplete="current-password" required${invalid}${hasEmail ? html` autofocus` : ''}>
</div>
<button type="submit" class="button button-primary">${t.text('action.continue')}</button>
</form>${passkey ? html`
<span hidden data-passkey="conditional" data-options="${safeUrl(passkey.options)}" data-verify="${safeUrl(passkey.verify)}" data-mode="login" data-csrf="${csrf}" data-failed="${t.text('factor.passkey_failed')}"></span>` : ''}${otherWays(t, csrf, upstreams, passkey)}
${accountLinksMarkup(t, csrf, email, accountLinks)}`;
  return page({ title: t.text('login.title'), body, ...chrome });
}
