import { describe, expect, it } from 'vitest';
import { matchLanguageTag, negotiateLocale, parseAcceptLanguage, parseUiLocales } from './locale.js';

describe('matchLanguageTag', () => {
  it('matches by the primary subtag, case-insensitively', () => {
    expect(matchLanguageTag('de-CH')).toBe('de');
    expect(matchLanguageTag('FR-ca')).toBe('fr');
    expect(matchLanguageTag('es_MX')).toBe('es');
    expect(matchLanguageTag('en')).toBe('en');
    expect(matchLanguageTag('pt-BR')).toBeUndefined();
    expect(matchLanguageTag('*')).toBeUndefined();
    expect(matchLanguageTag('')).toBeUndefined();
    expect(matchLanguageTag('deu')).toBeUndefined();
  });
});

describe('parseAcceptLanguage', () => {
  it('orders by q-value, keeping header order on ties, and drops q=0 and malformed ranges', () => {
    expect(parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5')).toEqual(['fr-CH', 'fr', 'en', 'de', '*']);
    expect(parseAcceptLanguage('en;q=0.1, de;q=0.9, es')).toEqual(['es', 'de', 'en']);
    expect(parseAcceptLanguage('de;q=0, fr;q=0.000, es;q=0.2')).toEqual(['es']);
    expect(parseAcceptLanguage('de;q=2, fr;q=abc, <script>, es')).toEqual(['es']);
    expect(parseAcceptLanguage(undefined)).toEqual([]);
    expect(parseAcceptLanguage('')).toEqual([]);
  });

  it('reads a bounded number of ranges', () => {
    expect(parseAcceptLanguage(Array.from({ length: 1000 }, () => 'xx').join(',') + ',de')).toEqual(Array(32).fill('xx'));
  });
});

describe('parseUiLocales', () => {
  it('splits on spaces', () => {
    expect(parseUiLocales(' fr-CA  fr en ')).toEqual(['fr-CA', 'fr', 'en']);
    expect(parseUiLocales(undefined)).toEqual([]);
  });
});

describe('negotiateLocale', () => {
  it('prefers ui_locales, in its order, over Accept-Language', () => {
    expect(negotiateLocale({ uiLocales: 'de', acceptLanguage: 'fr' })).toBe('de');
    expect(negotiateLocale({ uiLocales: 'pt-BR fr-CA de', acceptLanguage: 'es' })).toBe('fr');
  });

  it('falls back to Accept-Language when no ui_locales tag is supported', () => {
    expect(negotiateLocale({ uiLocales: 'ja pt', acceptLanguage: 'ja, es;q=0.5, de;q=0.4' })).toBe('es');
    expect(negotiateLocale({ acceptLanguage: 'de-CH,de;q=0.9,en;q=0.8' })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'en;q=0.5, fr;q=0.9' })).toBe('fr');
  });

  it('falls back to English', () => {
    expect(negotiateLocale({})).toBe('en');
    expect(negotiateLocale({ uiLocales: 'xx', acceptLanguage: 'ja, *' })).toBe('en');
    expect(negotiateLocale({ uiLocales: '', acceptLanguage: 'de;q=0' })).toBe('en');
  });
});
