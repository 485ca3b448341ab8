/**
 * Escaped-by-default HTML. Every value interpolated into html`...` is escaped unless it is an
 * HtmlSafe produced by html`...` itself or by raw() for trusted constants.
 */
const token: unique symbol = Symbol('HtmlSafe');

export class HtmlSafe {
  readonly #html: string;

  /** Not for direct use: build values with html`...` or raw(). */
  constructor(key: typeof token, markup: string) {
    if (key !== token) throw new TypeError('HtmlSafe values are made by html`...` or raw()');
    this.#html = markup;
  }

  toString(): string {
    return this.#html;
  }
}

/** What may be interpolated: strings and numbers are escaped; null, undefined and false render nothing. */
export type HtmlValue = HtmlSafe | string | number | boolean | null | undefined | readonly HtmlValue[];

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (ch) => entities[ch] ?? ch);
}

function render(value: HtmlValue): string {
  if (value instanceof HtmlSafe) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): HtmlSafe {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + (strings[i + 1] ?? '');
  }
  return new HtmlSafe(token, out);
}

/** Marks a trusted constant as markup. Never pass user, client or request data. */
export function raw(trusted: string): HtmlSafe {
  return new HtmlSafe(token, trusted);
}

const unsafeInPath = /[\u0000-\u0020\u007f\\]/;

/**
 * Returns the URL unchanged when it is a same-origin path ("/x", not "//x" or "/\x") or an
 * absolute http(s) URL; throws otherwise, so javascript:, data: and protocol-relative
 * values never reach an href or a form action.
 */
export function safeUrl(url: string): string {
  if (url.startsWith('/')) {
    if (url.startsWith('//') || unsafeInPath.test(url)) throw new TypeError('unsafe URL');
    return url;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('unsafe URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('unsafe URL');
  return url;
}
