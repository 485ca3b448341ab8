import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { federationKeys, newState, nonceFor, openClientSecret, openState, pkceVerifier, sealClientSecret } from './secrets.js';

const secret = randomBytes(32);
const keys = federationKeys(secret);

describe('federation secrets', () => {
  it('a sealed client secret opens with the server secret, for its connection only', async () => {
    const sealed = await sealClientSecret('s3cret-value', secret, 'github');
    expect(sealed).not.toContain('s3cret-value');
    expect(await openClientSecret(sealed, secret, 'github')).toBe('s3cret-value');
    await expect(openClientSecret(sealed, secret, 'other')).rejects.toThrow(/connection other/);
    await expect(openClientSecret(sealed, randomBytes(32), 'github')).rejects.toThrow(/wrong LATCH_SECRET/);
  });

  it('a state carries the interaction id; any change to it, or another key, is refused', () => {
    const state = newState(keys, 'interaction-id-123');
    expect(state).not.toContain('interaction');
    expect(openState(keys, state)).toBe('interaction-id-123');
    expect(newState(keys, 'interaction-id-123')).not.toBe(state);
    const flipped = (state[10] === 'A' ? 'B' : 'A');
    expect(openState(keys, state.slice(0, 10) + flipped + state.slice(11))).toBeUndefined();
    expect(openState(federationKeys(randomBytes(32)), state)).toBeUndefined();
    expect(openState(keys, 'short')).toBeUndefined();
    expect(openState(keys, 'not base64url!'.repeat(5))).toBeUndefined();
  });

  it('the verifier and nonce are derived from the state: stable, distinct, valid PKCE', () => {
    const state = newState(keys, 'x');
    expect(pkceVerifier(keys, state)).toBe(pkceVerifier(keys, state));
    expect(pkceVerifier(keys, state)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonceFor(keys, state)).not.toBe(pkceVerifier(keys, state));
    expect(pkceVerifier(keys, newState(keys, 'x'))).not.toBe(pkceVerifier(keys, state));
  });
});
