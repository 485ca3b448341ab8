import { describe, expect, it } from 'vitest';
import { dummyVerify, hashPassword, needsRehash, verifyPassword, MAX_PASSWORD_LENGTH } from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id and the OWASP parameters', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await needsRehash(hash)).toBe(false);
  });

  it('uses a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('s3cret-passw0rd');
    expect(await verifyPassword(hash, 's3cret-passw0rd')).toBe(true);
    expect(await verifyPassword(hash, 's3cret-passw0rd ')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('handles unicode passwords', async () => {
    const hash = await hashPassword('pässwörd-日本語-🔑');
    expect(await verifyPassword(hash, 'pässwörd-日本語-🔑')).toBe(true);
    expect(await verifyPassword(hash, 'passwörd-日本語-🔑')).toBe(false);
  });

  it('returns false for a malformed hash instead of throwing', async () => {
    expect(await verifyPassword('not-a-hash', 'whatever')).toBe(false);
    expect(await verifyPassword('', 'whatever')).toBe(false);
    expect(await needsRehash('not-a-hash')).toBe(true);
  });

  it('flags hashes made with weaker parameters for rehash', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash('pw', { memoryCost: 1024, timeCost: 1, parallelism: 1 });
    expect(await needsRehash(weak)).toBe(true);
  });

  it('flags a hash that differs from today in any one parameter: algorithm, version, memory, passes, lanes, hash or salt length', async () => {
    const { hash } = await import('@node-rs/argon2');
    const today = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
    expect(await needsRehash(await hash('pw', today))).toBe(false);
    const variants = [
      { ...today, algorithm: 0 }, // argon2d
      { ...today, algorithm: 1 }, // argon2i
      { ...today, version: 0 }, // v=16
      { ...today, memoryCost: 65536 }, // stronger is different too: the operator's choice is today's
      { ...today, timeCost: 3 },
      { ...today, parallelism: 2 },
      { ...today, outputLen: 16 },
      { ...today, outputLen: 64 },
      { ...today, salt: new Uint8Array(8).fill(1) },
      { ...today, salt: new Uint8Array(32).fill(1) },
    ];
    for (const options of variants) expect(await needsRehash(await hash('pw', options)), JSON.stringify(options)).toBe(true);
  });

  it('refuses over-long passwords', async () => {
    const long = 'x'.repeat(MAX_PASSWORD_LENGTH + 1);
    await expect(hashPassword(long)).rejects.toThrow(RangeError);
    const hash = await hashPassword('short enough');
    expect(await verifyPassword(hash, long)).toBe(false);
  });

  it('dummyVerify always fails and costs about as much as a real verification', async () => {
    const hash = await hashPassword('some password');
    await dummyVerify(); // warm up: computes the dummy hash once
    await verifyPassword(hash, 'warm up');
    // Interleaved, so that load from other processes affects both sides alike.
    let real = 0;
    let dummy = 0;
    for (let i = 0; i < 6; i++) {
      let start = performance.now();
      await verifyPassword(hash, 'wrong password');
      real += performance.now() - start;
      start = performance.now();
      await dummyVerify('wrong password');
      dummy += performance.now() - start;
    }
    expect(await dummyVerify('anything')).toBe(false);
    expect(dummy).toBeGreaterThan(real / 3);
    expect(dummy).toBeLessThan(real * 3);
  });
});
