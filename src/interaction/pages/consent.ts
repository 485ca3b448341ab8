import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { decisionForm, scopeList } from './parts.js';

export interface ConsentPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: readonly string[];
}

export function consentPage({ action, csrf, clientName, userEmail, scopes, ...chrome }: ConsentPageOptions): string {
  const list = scopeList(clientName, scopes, html`<p>This will allow <strong>${clientName}</strong> to use:</p>`);
  const body = html`<h1><span class="client-name">${clientName}</span> wants to access your account</h1>
<p class="account"><span>Signed in as <strong>${userEmail}</strong></span></p>
${list}
<p class="muted">Only allow this if you trust ${clientName}.</p>
${decisionForm(action, csrf)}`;
  return page({ title: `Allow ${clientName}?`, body, ...chrome });
}
