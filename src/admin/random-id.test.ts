import { describe, expect, it } from 'vitest';
import { randomId } from './random-id.js';

describe('randomId', () => {
  it('gives letters and digits only, of the asked length, never repeating', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomId();
      expect(id).toMatch(/^[A-Za-z0-9]{22}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
    expect(randomId(40)).toHaveLength(40);
  });

  it('uses every character of the alphabet', () => {
    const seen = new Set(randomId(20000));
    expect(seen.size).toBe(62);
  });
});
