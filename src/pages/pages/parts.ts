import { html, type HtmlSafe, safeUrl } from '../html.js';
import type { Translator } from '../messages/index.js';
import { type ConsentApi, groupScopes } from '../scopes.js';

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
export function decisionForm(t: Translator, action: string, csrf: string): HtmlSafe {
  return html`<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="actions">
<button type="submit" name="decision" value="deny" class="button button-secondary">${t.text('action.deny')}</button>
<button type="submit" name="decision" value="allow" class="button button-primary">${t.text('action.allow')}</button>
</div>
</form>`;
}

function customScope(t: Translator, scope: string): HtmlSafe {
  return html`<li class="scope-custom"><span class="visually-hidden">${t.text('consent.permission')} </span><code>${scope}</code></li>`;
}

/**
 * The requested scopes in words: the person's data (catalogue words), then the API's scopes under its name, in the
 * operator's words (by name when none is registered); or a line saying none is personal information.
 */
export function scopeList(t: Translator, clientName: string, scopes: readonly string[], lead: HtmlSafe, api?: ConsentApi): HtmlSafe {
  const groups = groupScopes(scopes, t.locale, api);
  const items = [...groups.identity.map(({ description }) => html`<li>${description}</li>`), ...groups.other.map((s) => customScope(t, s))];
  const apiItems = groups.api.map(({ scope, description, described }) =>
    described ? html`<li class="scope-api">${description} <code class="scope-name">${scope}</code></li>` : customScope(t, scope),
  );
  if (items.length === 0 && apiItems.length === 0) {
    return html`<p>${t.markup('consent.nothing', { client: html`<strong>${clientName}</strong>` })}</p>`;
  }
  const main = items.length ? html`${lead}\n<ul class="scopes">\n${items}\n</ul>` : lead;
  const apiPart =
    apiItems.length && api
      ? html`\n<p class="scopes-api-lead">${t.markup('consent.api_lead', { api: html`<strong class="api-name">${api.name}</strong>` })}</p>
<ul class="scopes scopes-api">
${apiItems}
</ul>`
      : '';
  return html`${main}${apiPart}`;
}

