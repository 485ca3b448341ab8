/**
 * Which language a page speaks: the first supported tag of `ui_locales`, else of Accept-Language (by quality), else
 * English. A tag matches by its primary language subtag, so de-CH and de-AT get German.
 */
import { DEFAULT_LOCALE, isLocale, type Locale } from './messages/index.js';

/** Enough for any real preference list; a longer one is cut rather than parsed in full. */
const maxTags = 32;

/** The supported language of one BCP 47 tag (RFC 5646), by its primary subtag: "de-CH" -> "de", "*" -> none. */
export function matchLanguageTag(tag: string): Locale | undefined {
  const primary = tag.trim().split(/[-_]/, 1)[0]?.toLowerCase() ?? '';
  return isLocale(primary) ? primary : undefined;
}

/**
 * RFC 9110 §12.5.4: Accept-Language is a list of language ranges, each with an optional weight `;q=` from 0 to 1
 * (default 1); "q=0" means "not acceptable". Returns the ranges by descending weight, in header order on ties.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  const ranges: { tag: string; q: number; at: number }[] = [];
  for (const [at, item] of header.split(',').slice(0, maxTags).entries()) {
    const [range = '', ...params] = item.split(';').map((s) => s.trim());
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(range)) continue;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)$/i.exec(param);
      if (m) q = Number(m[1]);
      else if (/^q\s*=/i.test(param)) q = -1;
    }
    if (q > 0) ranges.push({ tag: range, q, at });
  }
  return ranges.sort((a, b) => b.q - a.q || a.at - b.at).map((r) => r.tag);
}

/** OIDC Core §3.1.2.1: ui_locales is a space-separated list of BCP 47 tags, in order of preference. */
export function parseUiLocales(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/\s+/).filter(Boolean).slice(0, maxTags);
}

export interface LocaleSources {
  /** The `ui_locales` of the authorization request (carried in the interaction), or of this request. */
  uiLocales?: string | undefined;
  acceptLanguage?: string | undefined;
}

export function negotiateLocale({ uiLocales, acceptLanguage }: LocaleSources): Locale {
  for (const tag of [...parseUiLocales(uiLocales), ...parseAcceptLanguage(acceptLanguage)]) {
    const locale = matchLanguageTag(tag);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}
