import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { AdminInputError } from './errors.js';
import { brandingInputSchema, brandingOutputSchema, brandingToJson, effectiveBranding, getBranding, parseBrandingInput, putBranding } from './branding.js';

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
  it('accepts the documented values', () => {
    const parsed = parseBrandingInput({
      product_name: ' Acme ID ',
      logo_uri: 'https://cdn.acme.example/logo.png',
      primary_color: '#AA3300',
      links: { privacy: 'https://acme.example/privacy', terms: null, support: 'http://help.acme.example' },
    });
    expect(parsed).toEqual({
      product_name: 'Acme ID',
      logo_uri: 'https://cdn.acme.example/logo.png',
      primary_color: '#AA3300',
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

describe('the OpenAPI side', () => {
  it('turns the input and output schemas into JSON Schema both ways (no transforms)', () => {
    for (const io of ['input', 'output'] as const) {
      expect(z.toJSONSchema(brandingInputSchema, { io })).toMatchObject({ type: 'object', additionalProperties: false });
      expect(z.toJSONSchema(brandingOutputSchema, { io })).toMatchObject({ type: 'object' });
    }
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

describe('putBranding and getBranding, on SQLite', () => {
  let root: string;
  let store: OpenedStore;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-branding-'));
    store = await openMigratedStore({ dataDir: root });
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stores, keeps fields left out, clears with null, and records who changed what', async () => {
    const config = loadConfig({ LATCH_BRAND_NAME: 'From config' });
    expect((await getBranding(store, config)).productName).toBe('From config');
    const by = { sub: 'admin-1', clientId: 'latch-console', address: '127.0.0.1' };
    await putBranding(store, { product_name: 'Acme', primary_color: '#AA3300', links: { privacy: 'https://acme.example/privacy' } }, by, 1000);
    await putBranding(store, { links: { terms: 'https://acme.example/terms' } }, by, 1001);
    let b = await getBranding(store, config);
    expect(b).toEqual({
      productName: 'Acme',
      logoUri: null,
      primaryColor: '#aa3300',
      links: { privacy: 'https://acme.example/privacy', terms: 'https://acme.example/terms', support: null },
      updatedAt: 1001,
    });
    await putBranding(store, { product_name: null }, by, 1002);
    b = await getBranding(store, config);
    expect(b.productName).toBe('From config');
    expect(b.primaryColor).toBe('#aa3300');
    await putBranding(store, { primary_color: null }, by, 1003);
    expect((await getBranding(store, config)).primaryColor).toBeNull();
    await putBranding(store, { primary_color: '#AA3300' }, by, 1004);

    const events = await store.events.page({ type: 'settings.branding_updated' }, { limit: 10 });
    expect(events.items.map((e) => e.data.changed)).toEqual([
      ['primary_color'],
      ['primary_color'],
      ['product_name'],
      ['links.terms'],
      ['product_name', 'primary_color', 'links.privacy'],
    ]);
    expect(events.items[0]).toMatchObject({ actorSub: 'admin-1', actorClientId: 'latch-console', address: '127.0.0.1' });
  });

  it('refuses bad input and leaves the store as it was', async () => {
    const before = await store.settings.getBranding();
    await expect(putBranding(store, { product_name: 'Fine', primary_color: 'nope' })).rejects.toMatchObject({ field: 'primary_color' });
    expect(await store.settings.getBranding()).toEqual(before);
  });
});
