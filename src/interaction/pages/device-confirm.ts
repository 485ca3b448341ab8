import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { decisionForm, scopeList } from './parts.js';

export interface DeviceConfirmPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: readonly string[];
  /** The user code, formatted (XXXX-XXXX), for the person to compare with their device. */
  userCode: string;
}

/**
 * RFC 8628 §3.3 and §5.4 (remote phishing): the person sees which application asks for what, and is asked to check
 * that the code matches the one on their own device before approving.
 */
export function deviceConfirmPage({ action, csrf, clientName, userEmail, scopes, userCode, ...chrome }: DeviceConfirmPageOptions): string {
  const body = html`<h1><span class="client-name">${clientName}</span> on your device wants to access your account</h1>
<p class="account"><span>Signed in as <strong>${userEmail}</strong></span></p>
${scopeList(clientName, scopes, html`<p>It will be able to use:</p>`)}
<p>Did you start this on your device? Check that it shows this code:</p>
<p class="user-code-display"><code class="user-code">${userCode}</code></p>
<p class="muted">If you did not start this, or the code is different, deny: someone may be trying to get access to your account.</p>
${decisionForm(action, csrf)}`;
  return page({ title: `Allow ${clientName} on your device?`, body, ...chrome });
}
