import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, SIGNING_ALGS } from './generate.js';

describe('generateSigningKey', () => {
  it.each(SIGNING_ALGS)('%s: public JWK with kid = thumbprint, alg and use', async (alg) => {
    const key = await generateSigningKey(alg);
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'ext', 'key_ops']) {
      expect(key.publicJwk).not.toHaveProperty(member);
    }
    expect(key.privateJwk.d).toBeTypeOf('string');
    expect(key.privateJwk.kid).toBe(key.kid);
  });

  it('uses 2048-bit RSA, P-256 and Ed25519', async () => {
    const rsa = await generateSigningKey('RS256');
    const ps = await generateSigningKey('PS256');
    expect(Buffer.from(rsa.publicJwk.n!, 'base64url').length * 8).toBe(2048);
    expect(Buffer.from(ps.publicJwk.n!, 'base64url').length * 8).toBe(2048);
    expect((await generateSigningKey('ES256')).publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect((await generateSigningKey('EdDSA')).publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });
});
