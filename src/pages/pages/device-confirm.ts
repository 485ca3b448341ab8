import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';
import type { ConsentApi } from '../scopes.js';
import { type ConsentClient, clientLinks, clientLogo } from './consent.js';
import { decisionForm, scopeList } from './parts.js';

export interface DeviceConfirmPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: readonly string[];
  /** The user code, formatted (XXXX-XXXX), for the person to compare with their device. */
  userCode: string;
  client?: ConsentClient;
  api?: ConsentApi;
}

/**
 * RFC 8628 §3.3 and §5.4 (remote phishing): the person sees which application asks for what, and is asked to check
 * that the code matches the one on their own device before approving.
 */
export function deviceConfirmPage({ action, csrf, clientName, userEmail, scopes, userCode, client, api, ...chrome }: DeviceConfirmPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`${clientLogo(client)}<h1>${t.markup('device.confirm_heading', { client: html`<span class="client-name">${clientName}</span>` })}</h1>
<p class="account"><span>${t.markup('consent.signed_in_as', { email: html`<strong>${userEmail}</strong>` })}</span></p>
${scopeList(t, clientName, scopes, html`<p>${t.text('device.confirm_lead')}</p>`, api)}
<p>${t.text('device.confirm_check')}</p>
<p class="user-code-display"><code class="user-code">${userCode}</code></p>
<p class="muted">${t.text('device.confirm_warning')}</p>
${clientLinks(t, clientName, client)}
${decisionForm(t, action, csrf)}`;
  return page({ title: t.text('device.confirm_title', { client: clientName }), body, ...chrome });
}
