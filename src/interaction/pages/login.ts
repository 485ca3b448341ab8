import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { hiddenInput } from './parts.js';

export interface LoginPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  /** Prefills the email field, e.g. from login_hint. */
  email?: string;
  error?: string;
}

export function loginPage({ action, csrf, clientName, email, error, ...chrome }: LoginPageOptions): string {
  const hasEmail = email !== undefined && email !== '';
  const invalid = error ? html` aria-invalid="true" aria-describedby="login-error"` : '';
  const body = html`<h1>Sign in</h1>
<p class="lead">to continue to <strong>${clientName}</strong></p>
${error ? html`<div class="alert" role="alert" id="login-error">${error}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="email">Email address</label>
<input id="email" type="email" name="email" autocomplete="username" required autocapitalize="none" spellcheck="false" value="${email ?? ''}"${invalid}${hasEmail ? '' : html` autofocus`}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required${invalid}${hasEmail ? html` autofocus` : ''}>
</div>
<button type="submit" class="button button-primary">Continue</button>
</form>`;
  return page({ title: 'Sign in', body, ...chrome });
}
