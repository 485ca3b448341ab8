import { describe, expect, it } from 'vitest';
import type { BrandingSettings } from '../types.js';
import type { ContractContext } from './contract.js';
import { NOW, uniqueId } from './fixtures.js';

export function settingsContract({ backend, store }: ContractContext): void {
  describe('settings', () => {
    it('keeps the branding, replaced whole by each put', async () => {
      expect(await store().settings.getBranding()).toBeUndefined();
      const branding: BrandingSettings = {
        productName: 'Acme "Sign-in" <Ünïcode>',
        logoUri: 'https://acme.example/logo.png',
        primaryColor: '#112233',
        links: { privacy: 'https://acme.example/privacy', terms: null, support: 'mailto:help@acme.example' },
        updatedAt: NOW,
      };
      await store().settings.putBranding(branding);
      expect(await store().settings.getBranding()).toEqual(branding);
      const plain: BrandingSettings = { productName: null, logoUri: null, primaryColor: null, links: { privacy: null, terms: null, support: null }, updatedAt: NOW + 1 };
      await store().settings.putBranding(plain);
      expect(await store().settings.getBranding()).toEqual(plain);
    });

    it('keeps one admin setup record, consumed once, by its digest, before it expires', async () => {
      expect(await store().settings.getAdminSetup()).toBeUndefined();
      expect(await store().settings.consumeAdminSetup('anything', NOW)).toBe(false);
      const first = { tokenDigest: uniqueId('digest'), expiresAt: NOW + 3600 };
      await store().settings.putAdminSetup(first);
      expect(await store().settings.getAdminSetup()).toEqual(first);
      const second = { tokenDigest: uniqueId('digest'), expiresAt: NOW + 7200 };
      await store().settings.putAdminSetup(second);
      expect(await store().settings.getAdminSetup()).toEqual(second);

      expect(await store().settings.consumeAdminSetup(first.tokenDigest, NOW)).toBe(false);
      expect(await store().settings.consumeAdminSetup(second.tokenDigest, second.expiresAt)).toBe(false);
      expect(await store().settings.getAdminSetup()).toEqual(second);
      expect(await store().settings.consumeAdminSetup(second.tokenDigest, second.expiresAt - 1)).toBe(true);
      expect(await store().settings.getAdminSetup()).toBeUndefined();
      expect(await store().settings.consumeAdminSetup(second.tokenDigest, NOW)).toBe(false);
      // The branding is another setting, untouched.
      expect(await store().settings.getBranding()).toBeDefined();
    });

    it('of five concurrent consumers of the setup record, exactly one gets it', async () => {
      const setup = { tokenDigest: uniqueId('digest'), expiresAt: NOW + 3600 };
      await store().settings.putAdminSetup(setup);
      const results = await Promise.all(Array.from({ length: 5 }, () => store().settings.consumeAdminSetup(setup.tokenDigest, NOW)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().settings.getAdminSetup()).toBeUndefined();
    });

    it('exactly one gets it when the consumers use different connections', async () => {
      const others = [await backend.open(), await backend.open()];
      try {
        const setup = { tokenDigest: uniqueId('digest'), expiresAt: NOW + 3600 };
        await store().settings.putAdminSetup(setup);
        const stores = [store(), ...others, store(), ...others];
        const results = await Promise.all(stores.map((s) => s.settings.consumeAdminSetup(setup.tokenDigest, NOW)));
        expect(results.filter(Boolean)).toHaveLength(1);
        for (const s of stores) expect(await s.settings.getAdminSetup()).toBeUndefined();
      } finally {
        for (const other of others) await other.close();
      }
    });
  });
}
