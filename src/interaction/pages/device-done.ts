import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';

export interface DeviceDonePageOptions extends PageChrome {
  clientName: string;
  approved: boolean;
}

/** RFC 8628 §3.3: the end of the interaction; the device learns the outcome by polling. */
export function deviceDonePage({ clientName, approved, ...chrome }: DeviceDonePageOptions): string {
  const body = approved
    ? html`<div class="status status-success" aria-hidden="true"></div>
<h1>You can return to your device</h1>
<p class="lead"><strong>${clientName}</strong> is now connected to your account. It will continue in a few seconds.</p>
<p class="muted">You can close this window.</p>`
    : html`<h1>Access denied</h1>
<p class="lead"><strong>${clientName}</strong> was not given access to your account.</p>
<p class="muted">You can close this window.</p>`;
  return page({ title: approved ? 'Device connected' : 'Access denied', body, ...chrome });
}
