import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

export interface SignupPageOptions extends PageChrome {
  action: string;
  csrf: string;
  /** The application the person continues to, when they came from one. */
  clientName?: string | undefined;
  /** The sign-in page to go back to. */
  loginHref: string;
  minLength: number;
  email?: string;
  name?: string;
  error?: PageMessage;
}

export function signupPage({ action, csrf, clientName, loginHref, minLength, email, name, error, ...chrome }: SignupPageOptions): string {
  const t = translator(chrome.locale);
  const invalid = error ? html` aria-invalid="true" aria-describedby="signup-error"` : '';
  const body = html`<h1>${t.text('signup.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('signup.lead', { client: html`<strong>${clientName}</strong>` })}</p>` : ''}
${error ? html`<div class="alert" role="alert" id="signup-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="name">${t.text('signup.name')}</label>
<input id="name" type="text" name="name" autocomplete="name" maxlength="200" value="${name ?? ''}">
</div>
<div class="field">
<label for="email">${t.text('signup.email')}</label>
<input id="email" type="email" name="email" autocomplete="email" required autocapitalize="none" spellcheck="false" value="${email ?? ''}"${invalid}>
</div>
<div class="field">
<label for="password">${t.text('signup.password')}</label>
<input id="password" type="password" name="password" autocomplete="new-password" required minlength="${minLength}" aria-describedby="password-hint"${invalid}>
<p class="muted" id="password-hint">${t.text('signup.password_hint', { min: minLength })}</p>
</div>
<button type="submit" class="button button-primary">${t.text('signup.submit')}</button>
</form>
<p class="muted"><a href="${safeUrl(loginHref)}">${t.text('signup.have_account')}</a></p>`;
  return page({ title: t.text('signup.title'), body, ...chrome });
}
