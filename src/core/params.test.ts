import { describe, expect, it } from 'vitest';
import { OAuthError } from './errors.js';
import { collectParams, parseParams, spaceList } from './params.js';

describe('params', () => {
  it('treats empty values as omitted (RFC 6749 §3.1)', () => {
    const { params } = collectParams(new URLSearchParams('a=1&b=&c=3'));
    expect([...params.keys()]).toEqual(['a', 'c']);
  });

  it('reports duplicates and parseParams refuses them with invalid_request', () => {
    const entries = new URLSearchParams('scope=openid&scope=email&state=x');
    expect(collectParams(entries).duplicates).toEqual(['scope']);
    try {
      parseParams(entries);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OAuthError);
      expect((err as OAuthError).code).toBe('invalid_request');
      expect((err as OAuthError).description).toContain('scope');
    }
  });

  it('allows resource to repeat (RFC 8707)', () => {
    const parsed = collectParams(new URLSearchParams('resource=https://a&resource=https://b'));
    expect(parsed.duplicates).toEqual([]);
    expect(parsed.multi.get('resource')).toEqual(['https://a', 'https://b']);
  });

  it('splits space lists without empty entries', () => {
    expect(spaceList(' openid  email ')).toEqual(['openid', 'email']);
    expect(spaceList(undefined)).toEqual([]);
  });
});
