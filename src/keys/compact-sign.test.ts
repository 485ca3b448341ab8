import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { compactSigningKey, SigningKeyError } from './compact-sign.js';
import type { SigningAlg } from './types.js';

const payload = { iss: 'https://issuer.example', sub: 'ü-user', aud: 'https://api.example', iat: 1_700_000_000, exp: 4_000_000_000, scope: 'read write' };

describe('compact JWS signing', () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlg[]) {
    it(`${alg}: jose verifies the signature, header and payload`, async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const key = compactSigningKey(await exportJWK(privateKey), alg, `kid-${alg}`);
      const jws = key.signJson(JSON.stringify(payload), 'at+jwt');
      const { payload: verified, protectedHeader } = await jwtVerify(jws, publicKey, { algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'at+jwt' });
      expect(verified).toEqual(payload);
      // A second token with another typ gets its own header; a changed payload no longer verifies.
      expect((await jwtVerify(key.signJson(JSON.stringify(payload), 'JWT'), publicKey)).protectedHeader.typ).toBe('JWT');
      const [header, , signature] = jws.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...payload, sub: 'admin' })).toString('base64url')}.${signature}`;
      await expect(jwtVerify(forged, publicKey)).rejects.toThrow(/signature verification failed/);
    });
  }

  it('ES256 signatures are R || S (64 bytes), not DER', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jws = compactSigningKey(await exportJWK(privateKey), 'ES256', 'k').signJson(JSON.stringify(payload), 'JWT');
    expect(Buffer.from(jws.split('.')[2] as string, 'base64url')).toHaveLength(64);
  });

  it('refuses a key that does not fit the algorithm, a public key and a short RSA key', async () => {
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey);
    const ec = await generateKeyPair('ES256', { extractable: true });
    const ecPrivate = await exportJWK(ec.privateKey);
    const ecPublic = await exportJWK(ec.publicKey);
    expect(() => compactSigningKey(rsa, 'ES256', 'k1')).toThrow(SigningKeyError);
    expect(() => compactSigningKey(ecPrivate, 'EdDSA', 'k2')).toThrow(/cannot sign EdDSA/);
    expect(() => compactSigningKey(ecPublic, 'ES256', 'k3')).toThrow(SigningKeyError);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    expect(() => compactSigningKey(short, 'RS256', 'k4')).toThrow(/cannot sign RS256/);
  });
});
