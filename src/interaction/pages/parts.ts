import { html, type HtmlSafe, safeUrl } from '../html.js';
import { describeScopes, isKnownScope } from '../scopes.js';

export function hiddenInput(name: string, value: string): HtmlSafe {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** Hidden inputs for each defined field, skipping the names in `reserved`. */
export function hiddenInputs(
  fields: Readonly<Record<string, string | undefined>>,
  reserved: readonly string[] = [],
): HtmlSafe[] {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && !reserved.includes(entry[0]))
    .map(([name, value]) => hiddenInput(name, value));
}

/** The allow/deny form of a consent decision: one form, two submit buttons named `decision`. */
export function decisionForm(action: string, csrf: string): HtmlSafe {
  return html`<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="actions">
<button type="submit" name="decision" value="deny" class="button button-secondary">Deny</button>
<button type="submit" name="decision" value="allow" class="button button-primary">Allow</button>
</div>
</form>`;
}

/** The requested scopes in words (unknown scopes shown as code), or a line saying none is personal information. */
export function scopeList(clientName: string, scopes: readonly string[], lead: HtmlSafe): HtmlSafe {
  const items = describeScopes(scopes).map(({ scope, description }) =>
    isKnownScope(scope)
      ? html`<li>${description}</li>`
      : html`<li class="scope-custom"><span class="visually-hidden">Permission: </span><code>${description}</code></li>`,
  );
  if (items.length === 0) return html`<p><strong>${clientName}</strong> is not asking for any of your personal information.</p>`;
  return html`${lead}
<ul class="scopes">
${items}
</ul>`;
}
