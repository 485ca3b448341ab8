import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';

export interface DeviceDonePageOptions extends PageChrome {
  clientName: string;
  approved: boolean;
}

/** RFC 8628 §3.3: the end of the interaction; the device learns the outcome by polling. */
export function deviceDonePage({ clientName, approved, ...chrome }: DeviceDonePageOptions): string {
  const t = translator(chrome.locale);
  const client = html`<strong>${clientName}</strong>`;
  const body = approved
    ? html`<div class="status status-success" aria-hidden="true"></div>
<h1>${t.text('device.done_heading')}</h1>
<p class="lead">${t.markup('device.done_lead', { client })}</p>
<p class="muted">${t.text('page.close_window')}</p>`
    : html`<h1>${t.text('device.denied_heading')}</h1>
<p class="lead">${t.markup('device.denied_lead', { client })}</p>
<p class="muted">${t.text('page.close_window')}</p>`;
  return page({ title: t.text(approved ? 'device.done_title' : 'device.denied_title'), body, ...chrome });
}
