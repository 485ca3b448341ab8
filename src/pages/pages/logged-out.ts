import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';

export interface LoggedOutPageOptions extends PageChrome {
  clientName?: string;
}

export function loggedOutPage({ clientName, ...chrome }: LoggedOutPageOptions = {}): string {
  const t = translator(chrome.locale);
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>${t.text('logged_out.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('logged_out.lead_client', { client: html`<strong>${clientName}</strong>` })}</p>` : ''}
<p class="lead">${t.text('page.close_window')}</p>`;
  return page({ title: t.text('logged_out.title'), body, ...chrome });
}

export interface StillSignedInPageOptions extends PageChrome {
  clientName?: string;
}

/** The answer to "Stay signed in" on the logout confirmation page when the application gave no way back. */
export function stillSignedInPage({ clientName, ...chrome }: StillSignedInPageOptions = {}): string {
  const t = translator(chrome.locale);
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>${t.text('still_signed_in.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('still_signed_in.lead_client', { client: html`<strong>${clientName}</strong>` })}</p>` : html`<p class="lead">${t.text('still_signed_in.lead')}</p>`}
<p class="lead">${t.text('page.close_window')}</p>`;
  return page({ title: t.text('still_signed_in.title'), body, ...chrome });
}
