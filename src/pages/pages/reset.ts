import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

export interface ForgotPasswordPageOptions extends PageChrome {
  action: string;
  csrf: string;
  email?: string;
  error?: PageMessage;
  loginHref?: string | undefined;
}

/** "Forgot password?": the address to send the link to. */
export function forgotPasswordPage({ action, csrf, email, error, loginHref, ...chrome }: ForgotPasswordPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('reset.forgot_heading')}</h1>
<p class="lead">${t.text('reset.forgot_lead')}</p>
${error ? html`<div class="alert" role="alert" id="reset-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="email">${t.text('reset.email')}</label>
<input id="email" type="email" name="email" autocomplete="username" required autocapitalize="none" spellcheck="false" autofocus value="${email ?? ''}"${error ? html` aria-invalid="true" aria-describedby="reset-error"` : ''}>
</div>
<button type="submit" class="button button-primary">${t.text('reset.send')}</button>
</form>
${loginHref ? html`<p class="muted"><a href="${safeUrl(loginHref)}">${t.text('reset.back')}</a></p>` : ''}`;
  return page({ title: t.text('reset.forgot_title'), body, ...chrome });
}

export interface ResetPasswordPageOptions extends PageChrome {
  action: string;
  csrf: string;
  /** The link's token, posted back with the new password. */
  token: string;
  email: string;
  minLength: number;
  error?: PageMessage;
}

/** The page of a reset link: the new password, twice. */
export function resetPasswordPage({ action, csrf, token, email, minLength, error, ...chrome }: ResetPasswordPageOptions): string {
  const t = translator(chrome.locale);
  const invalid = error ? html` aria-invalid="true" aria-describedby="reset-error"` : '';
  const body = html`<h1>${t.text('reset.heading')}</h1>
<p class="lead">${t.markup('reset.lead', { email: html`<strong>${email}</strong>` })}</p>
${error ? html`<div class="alert" role="alert" id="reset-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInput('token', token)}
<input type="email" name="email" autocomplete="username" value="${email}" hidden readonly>
<div class="field">
<label for="password">${t.text('reset.new_password')}</label>
<input id="password" type="password" name="password" autocomplete="new-password" required minlength="${minLength}" autofocus${invalid}>
<p class="muted">${t.text('signup.password_hint', { min: minLength })}</p>
</div>
<div class="field">
<label for="password2">${t.text('reset.confirm_password')}</label>
<input id="password2" type="password" name="password2" autocomplete="new-password" required minlength="${minLength}"${invalid}>
</div>
<button type="submit" class="button button-primary">${t.text('reset.submit')}</button>
</form>`;
  return page({ title: t.text('reset.title'), body, ...chrome });
}
