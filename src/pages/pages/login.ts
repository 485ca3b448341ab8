import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';
import { passkeyBlock, passkeyButton, passkeyScriptTags, type PasskeyCeremony } from './second-factor.js';

export interface LoginPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  /** Prefills the email field, e.g. from login_hint. */
  email?: string;
  /** A message of the catalogues (or text already in the page's language). */
  error?: string | PageMessage;
  /** Passwordless sign-in with a passkey (issue 13): conditional UI in the email field, and a button. */
  passkey?: PasskeyCeremony;
}

export function loginPage({ action, csrf, clientName, email, error, passkey, ...chrome }: LoginPageOptions): string {
  const t = translator(chrome.locale);
  const hasEmail = email !== undefined && email !== '';
  const invalid = error ? html` aria-invalid="true" aria-describedby="login-error"` : '';
  const body = html`<h1>${t.text('login.heading')}</h1>
<p class="lead">${t.markup('login.lead', { client: html`<strong>${clientName}</strong>` })}</p>
${error ? html`<div class="alert" role="alert" id="login-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
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
<span hidden data-passkey="conditional" data-options="${safeUrl(passkey.options)}" data-verify="${safeUrl(passkey.verify)}" data-mode="login" data-csrf="${csrf}" data-failed="${t.text('factor.passkey_failed')}"></span>
${passkeyBlock(html`<div class="divider">${t.text('factor.or')}</div>
${passkeyButton(t, 'authenticate', passkey, csrf, t.text('factor.sign_in_passkey'))}`)}
${passkeyScriptTags}` : ''}`;
  return page({ title: t.text('login.title'), body, ...chrome });
}
