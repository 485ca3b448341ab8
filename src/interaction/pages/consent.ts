import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { describeScopes, isKnownScope } from '../scopes.js';
import { hiddenInput } from './parts.js';

export interface ConsentPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: readonly string[];
}

export function consentPage({ action, csrf, clientName, userEmail, scopes, ...chrome }: ConsentPageOptions): string {
  const items = describeScopes(scopes).map(({ scope, description }) =>
    isKnownScope(scope)
      ? html`<li>${description}</li>`
      : html`<li class="scope-custom"><span class="visually-hidden">Permission: </span><code>${description}</code></li>`,
  );
  const list =
    items.length > 0
      ? html`<p>This will allow <strong>${clientName}</strong> to use:</p>
<ul class="scopes">
${items}
</ul>`
      : html`<p><strong>${clientName}</strong> is not asking for any of your personal information.</p>`;
  const body = html`<h1><span class="client-name">${clientName}</span> wants to access your account</h1>
<p class="account"><span>Signed in as <strong>${userEmail}</strong></span></p>
${list}
<p class="muted">Only allow this if you trust ${clientName}.</p>
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="actions">
<button type="submit" name="decision" value="deny" class="button button-secondary">Deny</button>
<button type="submit" name="decision" value="allow" class="button button-primary">Allow</button>
</div>
</form>`;
  return page({ title: `Allow ${clientName}?`, body, ...chrome });
}
