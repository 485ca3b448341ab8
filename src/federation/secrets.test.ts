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

  it('a state carries the interaction id; any change to it, or another key, is refused', async () => {
    const state = await newState(keys, 'interaction-id-123');
    expect(state).not.toContain('interaction');
    expect(await openState(keys, state)).toBe('interaction-id-123');
    expect(await newState(keys, 'interaction-id-123')).not.toBe(state);
    const at = state.length - 30;
    const flipped = state[at] === 'A' ? 'B' : 'A';
    expect(await openState(keys, state.slice(0, at) + flipped + state.slice(at + 1))).toBeUndefined();
    expect(await openState(federationKeys(randomBytes(32)), state)).toBeUndefined();
    // A JWE of another purpose under the same server secret is not a state.
    expect(await openState(keys, await sealClientSecret('interaction-id-123', keys.seal, 'x'))).toBeUndefined();
    expect(await openState(keys, 'short')).toBeUndefined();
    expect(await openState(keys, 'not base64url!'.repeat(5))).toBeUndefined();
  });

  it('the verifier and nonce are derived from the state: stable, distinct, valid PKCE', async () => {
    const state = await newState(keys, 'x');
    expect(pkceVerifier(keys, state)).toBe(pkceVerifier(keys, state));
    expect(pkceVerifier(keys, state)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonceFor(keys, state)).not.toBe(pkceVerifier(keys, state));
    expect(pkceVerifier(keys, await newState(keys, 'x'))).not.toBe(pkceVerifier(keys, state));
  });
});
