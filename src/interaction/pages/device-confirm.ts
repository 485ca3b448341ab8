import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { describeScopes, isKnownScope } from '../scopes.js';
import { hiddenInput } from './parts.js';

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
  const items = describeScopes(scopes).map(({ scope, description }) =>
    isKnownScope(scope)
      ? html`<li>${description}</li>`
      : html`<li class="scope-custom"><span class="visually-hidden">Permission: </span><code>${description}</code></li>`,
  );
  const body = html`<h1><span class="client-name">${clientName}</span> on your device wants to access your account</h1>
<p class="account"><span>Signed in as <strong>${userEmail}</strong></span></p>
${items.length > 0 ? html`<p>It will be able to use:</p>
<ul class="scopes">
${items}
</ul>` : html`<p><strong>${clientName}</strong> is not asking for any of your personal information.</p>`}
<p>Did you start this on your device? Check that it shows this code:</p>
<p class="user-code-display"><code class="user-code">${userCode}</code></p>
<p class="muted">If you did not start this, or the code is different, deny: someone may be trying to get access to your account.</p>
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="actions">
<button type="submit" name="decision" value="deny" class="button button-secondary">Deny</button>
<button type="submit" name="decision" value="allow" class="button button-primary">Allow</button>
</div>
</form>`;
  return page({ title: `Allow ${clientName} on your device?`, body, ...chrome });
}
