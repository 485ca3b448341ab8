import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

export interface AccountConfirmPageOptions extends PageChrome {
  action: string;
  csrf: string;
  email: string;
  returnTo: string;
  error?: PageMessage;
}

/** /account/confirm: the password again, so that a change of how the person signs in is theirs (recent-auth.ts). */
export function accountConfirmPage({ action, csrf, email, returnTo, error, ...chrome }: AccountConfirmPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('account.confirm_heading')}</h1>
<p class="lead">${t.markup('account.confirm_lead', { email: html`<strong>${email}</strong>` })}</p>
${error ? html`<div class="alert" role="alert" id="confirm-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInput('return_to', returnTo)}
<input type="email" name="email" autocomplete="username" value="${email}" hidden readonly>
<div class="field">
<label for="password">${t.text('login.password')}</label>
<input id="password" type="password" name="password" autocomplete="current-password" required autofocus${error ? html` aria-invalid="true" aria-describedby="confirm-error"` : ''}>
</div>
<button type="submit" class="button button-primary">${t.text('account.confirm_submit')}</button>
</form>`;
  return page({ title: t.text('account.confirm_title'), body, ...chrome });
}
