import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';
import { hiddenInput, hiddenInputs } from './parts.js';

export interface LogoutConfirmPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName?: string;
  /** Fields posted back with the decision; "csrf" and "logout" are ignored here. */
  hidden: Readonly<Record<string, string | undefined>>;
}

export function logoutConfirmPage({ action, csrf, clientName, hidden, ...chrome }: LogoutConfirmPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('logout.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('logout.lead_client', { client: html`<strong>${clientName}</strong>` })}</p>` : html`<p class="lead">${t.text('logout.lead')}</p>`}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInputs(hidden, ['csrf', 'logout'])}
<div class="actions">
<button type="submit" name="logout" value="no" class="button button-secondary">${t.text('logout.stay')}</button>
<button type="submit" name="logout" value="yes" class="button button-primary">${t.text('logout.sign_out')}</button>
</div>
</form>`;
  return page({ title: t.text('logout.title'), body, ...chrome });
}
