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

export interface StillSignedInPageOptions extends PageChrome {
  clientName?: string;
}

/** The answer to "Stay signed in" on the logout confirmation page when the application gave no way back. */
export function stillSignedInPage({ clientName, ...chrome }: StillSignedInPageOptions = {}): string {
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>You are still signed in</h1>
${clientName ? html`<p class="lead">You chose to stay signed in, although <strong>${clientName}</strong> asked to sign you out.</p>` : html`<p class="lead">You chose to stay signed in.</p>`}
<p class="lead">You can close this window.</p>`;
  return page({ title: 'Still signed in', body, ...chrome });
}
