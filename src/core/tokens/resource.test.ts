import { describe, expect, it } from 'vitest';
import { checkResourceIdentifier, requestedResource } from './resource.js';

describe('resource indicators (RFC 8707 §2)', () => {
  it('accepts an absolute URI, again and again', () => {
    expect(() => checkResourceIdentifier('https://api.example/orders')).not.toThrow();
    expect(() => checkResourceIdentifier('https://api.example/orders')).not.toThrow();
    expect(requestedResource(['https://api.example/orders'])).toBe('https://api.example/orders');
  });

  it('refuses a relative URI or one with a fragment, also right after accepting a good one', () => {
    for (const bad of ['/orders', 'api.example', 'https://api.example/orders#x', 'https://api.example/orders#']) {
      checkResourceIdentifier('https://api.example/orders');
      expect(() => checkResourceIdentifier(bad)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
      expect(() => checkResourceIdentifier(bad)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
    }
  });

  it('refuses more than one resource in one request', () => {
    expect(() => requestedResource(['https://a.example', 'https://b.example'])).toThrow(expect.objectContaining({ code: 'invalid_target' }));
  });
});
