import { describe, expect, it } from 'vitest';
import { html } from '../html.js';
import { catalogues, LOCALES, placeholdersOf, translator, waitMessage, message } from './index.js';
import { type Catalogue, en } from './en.js';

const keys = Object.keys(en).sort();

describe('message catalogues', () => {
  it('are the supported languages', () => {
    expect(Object.keys(catalogues).sort()).toEqual([...LOCALES].sort());
    expect(LOCALES).toEqual(['en', 'de', 'fr', 'es']);
  });

  describe.each(LOCALES)('%s', (locale) => {
    const catalogue = catalogues[locale] as Record<string, unknown>;

    it('has every key of the English catalogue and no other', () => {
      const own = Object.keys(catalogue).sort();
      expect(own.filter((k) => !keys.includes(k)), 'extra keys').toEqual([]);
      expect(keys.filter((k) => !own.includes(k)), 'missing keys').toEqual([]);
    });

    it('has no empty message', () => {
      for (const key of keys) {
        const value = catalogue[key];
        expect(typeof value, key).toBe('string');
        expect((value as string).trim(), key).not.toBe('');
      }
    });

    it('keeps the placeholders of the English text', () => {
      for (const key of keys) {
        expect(placeholdersOf(catalogue[key] as string), key).toEqual(placeholdersOf(en[key as keyof typeof en]));
      }
    });

    it('is a translation, not a copy of the English text (besides words that are the same)', () => {
      if (locale === 'en') return;
      const same = keys.filter((k) => catalogue[k] === en[k as keyof typeof en]);
      expect(same.length, same.join(', ')).toBeLessThan(keys.length / 10);
    });
  });
});

describe('the Catalogue type (checked by tsc, which runs over the tests too)', () => {
  it('refuses a catalogue with a missing or an extra key', () => {
    // @ts-expect-error a translation lacking keys does not typecheck
    const missing: Catalogue = { 'page.privacy': 'Privacidad' };
    // @ts-expect-error a translation with a key English does not define does not typecheck
    const extra: Catalogue = { ...en, 'page.unknown': 'x' };
    expect(Object.keys(missing)).toHaveLength(1);
    expect(Object.keys(extra)).toHaveLength(keys.length + 1);
  });
});

describe('translator', () => {
  it('fills placeholders with text, nested messages and escaped markup', () => {
    const t = translator('de');
    expect(t.text('login.lead', { client: 'Acme' })).toBe('weiter zu Acme');
    expect(t.show(message('login.error_throttled', { wait: waitMessage(120) }))).toBe(
      'Zu viele fehlgeschlagene Anmeldeversuche für dieses Konto aus Ihrem Netzwerk. Versuchen Sie es in 2 Minuten erneut.',
    );
    expect(t.show('as is')).toBe('as is');
    expect(t.markup('login.lead', { client: html`<strong>${'<A&B>'}</strong>` }).toString()).toBe('weiter zu <strong>&lt;A&amp;B&gt;</strong>');
    expect(translator('fr').markup('consent.title', { client: '<x>' }).toString()).toBe('Autoriser &lt;x&gt;\u202f?');
  });

  it('says how long to wait', () => {
    const t = translator('en');
    expect(t.show(waitMessage(1))).toBe('in 1 second');
    expect(t.show(waitMessage(40))).toBe('in 40 seconds');
    expect(t.show(waitMessage(600))).toBe('in 10 minutes');
    expect(translator('es').show(waitMessage(1))).toBe('dentro de 1 segundo');
  });
});
