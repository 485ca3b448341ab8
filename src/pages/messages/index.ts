import { html, type HtmlSafe, type HtmlValue } from '../html.js';
import { de } from './de.js';
import { type Catalogue, en, type MessageKey } from './en.js';
import { es } from './es.js';
import { fr } from './fr.js';

export type { Catalogue, MessageKey } from './en.js';

/** The languages of the pages, in the order discovery lists them (`ui_locales_supported`). */
export const LOCALES = ['en', 'de', 'fr', 'es'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const catalogues: Readonly<Record<Locale, Catalogue>> = Object.freeze({ en, de, fr, es });

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/**
 * A message to show in the language of the page, chosen by the code that knows what happened (a route, the login
 * form) and worded by the page. Parameters may be messages themselves ("Try again {wait}").
 */
export interface PageMessage {
  key: MessageKey;
  params?: Readonly<Record<string, string | number | PageMessage>>;
}

export function message(key: MessageKey, params?: PageMessage['params']): PageMessage {
  return params ? { key, params } : { key };
}

/** "in 40 seconds", "in 3 minutes": how long a person has to wait. */
export function waitMessage(seconds: number): PageMessage {
  if (seconds === 1) return message('wait.second');
  if (seconds < 90) return message('wait.seconds', { n: seconds });
  return message('wait.minutes', { n: Math.ceil(seconds / 60) });
}

const placeholder = /\{([a-z_]+)\}/g;

export interface Translator {
  readonly locale: Locale;
  /** The plain text of a message (escaped later, wherever it is interpolated). */
  text(key: MessageKey, params?: Readonly<Record<string, string | number>>): string;
  /** Text or a PageMessage in this language. */
  show(value: string | PageMessage): string;
  /** A message as markup: its text is escaped, its placeholders take markup (e.g. <strong>${name}</strong>). */
  markup(key: MessageKey, params: Readonly<Record<string, HtmlValue>>): HtmlSafe;
}

export function translator(locale: Locale = DEFAULT_LOCALE): Translator {
  const catalogue = catalogues[locale];
  const text = (key: MessageKey, params: Readonly<Record<string, string | number>> = {}): string =>
    catalogue[key].replace(placeholder, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
  const show = (value: string | PageMessage): string => {
    if (typeof value === 'string') return value;
    const params: Record<string, string | number> = {};
    for (const [name, param] of Object.entries(value.params ?? {})) params[name] = typeof param === 'object' ? show(param) : param;
    return text(value.key, params);
  };
  const markup = (key: MessageKey, params: Readonly<Record<string, HtmlValue>>): HtmlSafe => {
    const source = catalogue[key];
    const parts: HtmlValue[] = [];
    let last = 0;
    for (const match of source.matchAll(placeholder)) {
      const name = match[1] as string;
      parts.push(source.slice(last, match.index));
      parts.push(Object.hasOwn(params, name) ? params[name] : match[0]);
      last = match.index + match[0].length;
    }
    parts.push(source.slice(last));
    return html`${parts}`;
  };
  return { locale, text, show, markup };
}

/** The placeholders of a message, sorted ("{client}" -> ["client"]). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(placeholder)].map((m) => m[1] as string).sort();
}
