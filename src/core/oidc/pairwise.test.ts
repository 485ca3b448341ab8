import { describe, expect, it } from 'vitest';
import { namesPerson, sectorOf, subjectFor } from './pairwise.js';

const salt = Buffer.alloc(32, 7);
const pairwise = (redirect_uris: string[], sector_identifier_uri?: string) => ({
  metadata: { subject_type: 'pairwise' as const, redirect_uris, ...(sector_identifier_uri ? { sector_identifier_uri } : {}) },
});

describe('sectorOf (OIDC Core §8.1)', () => {
  it('is the host of sector_identifier_uri when registered, else of the one redirect URI host', () => {
    expect(sectorOf({ redirect_uris: ['https://a.example/cb'], sector_identifier_uri: 'https://sector.example:8443/s.json' })).toBe('sector.example:8443');
    expect(sectorOf({ redirect_uris: ['https://a.example/cb', 'https://a.example/other'] })).toBe('a.example');
    expect(sectorOf({ redirect_uris: ['com.example.app:/cb'] })).toBe('com.example.app');
  });

  it('refuses redirect URIs on several hosts (or none) without a sector_identifier_uri', () => {
    expect(() => sectorOf({ redirect_uris: ['https://a.example/cb', 'https://b.example/cb'] })).toThrow(/sector_identifier_uri/);
    expect(() => sectorOf({ redirect_uris: [] })).toThrow(/sector_identifier_uri/);
  });
});

describe('subjectFor', () => {
  it('keeps the local sub for public clients', () => {
    expect(subjectFor({ metadata: { redirect_uris: ['https://a.example/cb'] } }, 'local', salt)).toBe('local');
    expect(subjectFor({ metadata: { subject_type: 'public', redirect_uris: [] } }, 'local', undefined)).toBe('local');
  });

  it('is stable per sector, different across sectors, people and salts, and 43 base64url characters', () => {
    const one = subjectFor(pairwise(['https://one.example/cb'], 'https://s.example/x'), 'local', salt);
    expect(subjectFor(pairwise(['https://two.example/cb'], 'https://s.example/y'), 'local', salt)).toBe(one);
    expect(subjectFor(pairwise(['https://one.example/cb']), 'local', salt)).not.toBe(one);
    expect(subjectFor(pairwise(['https://one.example/cb'], 'https://s.example/x'), 'other', salt)).not.toBe(one);
    expect(subjectFor(pairwise(['https://one.example/cb'], 'https://s.example/x'), 'local', Buffer.alloc(32, 8))).not.toBe(one);
    expect(one).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never computes a pairwise sub without the salt', () => {
    expect(() => subjectFor(pairwise(['https://one.example/cb']), 'local', undefined)).toThrow(/salt/);
  });
});

describe('namesPerson', () => {
  it('accepts the local sub or the client’s pairwise sub, nothing else', () => {
    const c = pairwise(['https://one.example/cb']);
    expect(namesPerson('local', 'local', c, salt)).toBe(true);
    expect(namesPerson(subjectFor(c, 'local', salt), 'local', c, salt)).toBe(true);
    expect(namesPerson(subjectFor(c, 'other', salt), 'local', c, salt)).toBe(false);
    expect(namesPerson(subjectFor(c, 'local', salt), 'local', undefined, salt)).toBe(false);
  });
});
