import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { hiddenInput, hiddenInputs } from './parts.js';

export interface LogoutConfirmPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName?: string;
  /** Fields posted back with the decision; "csrf" and "logout" are ignored here. */
  hidden: Readonly<Record<string, string | undefined>>;
}

export function logoutConfirmPage({ action, csrf, clientName, hidden, ...chrome }: LogoutConfirmPageOptions): string {
  const body = html`<h1>Do you want to sign out?</h1>
${clientName ? html`<p class="lead"><strong>${clientName}</strong> is asking to sign you out.</p>` : html`<p class="lead">You will be signed out of this device.</p>`}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInputs(hidden, ['csrf', 'logout'])}
<div class="actions">
<button type="submit" name="logout" value="no" class="button button-secondary">Stay signed in</button>
<button type="submit" name="logout" value="yes" class="button button-primary">Sign out</button>
</div>
</form>`;
  return page({ title: 'Sign out', body, ...chrome });
}
