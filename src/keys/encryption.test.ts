import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptPrivateJwk, encryptPrivateJwk, KeyDecryptionError } from './encryption.js';
import { generateSigningKey } from './generate.js';

describe('private key encryption at rest', () => {
  it('round-trips a private JWK under the secret (dir + A256GCM)', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const key = await generateSigningKey('ES256');
    const jwe = await encryptPrivateJwk(key.privateJwk, secret);
    expect(jwe.split('.')).toHaveLength(5);
    const header = JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid: key.kid });
    expect(jwe).not.toContain(key.privateJwk.d!);
    expect(await decryptPrivateJwk(jwe, secret, key.kid)).toEqual(key.privateJwk);
  });

  it('fails with a wrong secret', async () => {
    const key = await generateSigningKey('EdDSA');
    const jwe = await encryptPrivateJwk(key.privateJwk, new Uint8Array(randomBytes(32)));
    await expect(decryptPrivateJwk(jwe, new Uint8Array(randomBytes(32)))).rejects.toBeInstanceOf(KeyDecryptionError);
    await expect(decryptPrivateJwk(jwe, new Uint8Array(randomBytes(32)))).rejects.toThrow(/LATCH_SECRET/);
  });

  it('fails when the stored value is tampered with or filed under another kid', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const key = await generateSigningKey('ES256');
    const jwe = await encryptPrivateJwk(key.privateJwk, secret);
    const parts = jwe.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0] = ciphertext[0]! ^ 1;
    parts[3] = ciphertext.toString('base64url');
    await expect(decryptPrivateJwk(parts.join('.'), secret)).rejects.toBeInstanceOf(KeyDecryptionError);
    await expect(decryptPrivateJwk(jwe, secret, 'another-kid')).rejects.toBeInstanceOf(KeyDecryptionError);
  });
});
