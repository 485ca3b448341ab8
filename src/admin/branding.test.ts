import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { AdminInputError } from './errors.js';
import { brandingToJson, effectiveBranding, parseBrandingInput } from './branding.js';

function fieldOf(input: unknown): string | undefined {
  try {
    parseBrandingInput(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AdminInputError);
    return (err as AdminInputError).field;
  }
}

describe('branding input', () => {
  it('accepts the documented values and lower-cases the colour', () => {
    const parsed = parseBrandingInput({
      product_name: ' Acme ID ',
      logo_uri: 'https://cdn.acme.example/logo.png',
      primary_color: '#AA3300',
      links: { privacy: 'https://acme.example/privacy', terms: null, support: 'http://help.acme.example' },
    });
    expect(parsed).toEqual({
      product_name: 'Acme ID',
      logo_uri: 'https://cdn.acme.example/logo.png',
      primary_color: '#aa3300',
      links: { privacy: 'https://acme.example/privacy', terms: null, support: 'http://help.acme.example' },
    });
    expect(parseBrandingInput({ logo_uri: 'http://127.0.0.1:8080/logo.png' }).logo_uri).toBe('http://127.0.0.1:8080/logo.png');
    expect(parseBrandingInput({})).toEqual({});
  });

  it.each([
    [{ product_name: '' }, 'product_name'],
    [{ product_name: 'x'.repeat(65) }, 'product_name'],
    [{ product_name: 42 }, 'product_name'],
    [{ logo_uri: 'http://cdn.acme.example/logo.png' }, 'logo_uri'],
    [{ logo_uri: 'javascript:alert(1)' }, 'logo_uri'],
    [{ logo_uri: 'https://user:pw@acme.example/logo.png' }, 'logo_uri'],
    [{ primary_color: 'red' }, 'primary_color'],
    [{ primary_color: '#abc' }, 'primary_color'],
    [{ links: { privacy: 'ftp://acme.example' } }, 'links.privacy'],
    [{ links: { terms: 'not a url' } }, 'links.terms'],
    [{ links: { blog: 'https://acme.example' } }, 'links.blog'],
    [{ colour: '#000000' }, 'colour'],
  ])('refuses %j naming %s', (input, field) => {
    expect(fieldOf(input)).toBe(field);
  });
});

describe('effective branding', () => {
  it('takes stored settings over config over Latch, field by field', () => {
    const config = loadConfig({ LATCH_BRAND_NAME: 'Config Name', LATCH_BRAND_PRIVACY_URL: 'https://config.example/privacy' });
    expect(effectiveBranding(undefined, {})).toEqual({
      productName: 'Latch',
      logoUri: null,
      primaryColor: null,
      links: { privacy: null, terms: null, support: null },
      updatedAt: null,
    });
    const stored = { productName: null, logoUri: null, primaryColor: '#112233', links: { privacy: null, terms: 'https://s.example/terms', support: null }, updatedAt: 5 };
    const b = effectiveBranding(stored, config);
    expect(b).toEqual({
      productName: 'Config Name',
      logoUri: null,
      primaryColor: '#112233',
      links: { privacy: 'https://config.example/privacy', terms: 'https://s.example/terms', support: null },
      updatedAt: 5,
    });
    expect(brandingToJson(b)).toEqual({
      product_name: 'Config Name',
      logo_uri: null,
      primary_color: '#112233',
      links: { privacy: 'https://config.example/privacy', terms: 'https://s.example/terms', support: null },
      updated_at: 5,
    });
  });

  it('refuses wrong LATCH_BRAND_* values at start, naming the key', () => {
    expect(() => loadConfig({ LATCH_BRAND_PRIMARY_COLOR: 'blue' })).toThrowError('LATCH_BRAND_PRIMARY_COLOR');
    expect(() => loadConfig({ LATCH_BRAND_LOGO_URI: 'http://example.com/x.png' })).toThrowError('LATCH_BRAND_LOGO_URI');
    expect(() => loadConfig({ LATCH_BRAND_NAME: 'x'.repeat(65) })).toThrowError('LATCH_BRAND_NAME');
    expect(() => loadConfig({ LATCH_BRAND_SUPPORT_URL: 'mailto:x@y' })).toThrowError('LATCH_BRAND_SUPPORT_URL');
    expect(loadConfig({ LATCH_BRAND_PRIMARY_COLOR: '#ABCDEF' }).brandPrimaryColor).toBe('#abcdef');
  });
});
