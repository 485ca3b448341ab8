import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';

export interface LoggedOutPageOptions extends PageChrome {
  clientName?: string;
}

export function loggedOutPage({ clientName, ...chrome }: LoggedOutPageOptions = {}): string {
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>You are signed out</h1>
${clientName ? html`<p class="lead">You have been signed out of <strong>${clientName}</strong>.</p>` : ''}
<p class="lead">You can close this window.</p>`;
  return page({ title: 'Signed out', body, ...chrome });
}
