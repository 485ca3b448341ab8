import { html, type HtmlSafe } from '../html.js';

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
