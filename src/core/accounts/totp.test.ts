import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import type { TotpSecretRecord } from '../../storage/types.js';
import { normalizeRecoveryCode } from './recovery-codes.js';
import { checkTotp, matchingStep, newTotpSecret, openTotpSecret, sealTotpSecret, totpUri } from './totp.js';

const codeAt = (secret: string, seconds: number) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: seconds * 1000 });

describe('TOTP (RFC 6238)', () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015;

  it('accepts the code of the current step and of one step either side, no further', () => {
    const step = Math.floor(now / 30);
    expect(matchingStep(secret, codeAt(secret, now), now)).toBe(step);
    expect(matchingStep(secret, codeAt(secret, now - 30), now)).toBe(step - 1);
    expect(matchingStep(secret, codeAt(secret, now + 30), now)).toBe(step + 1);
    expect(matchingStep(secret, codeAt(secret, now + 90), now)).toBeUndefined();
    expect(matchingStep(secret, `${codeAt(secret, now).slice(0, 3)} ${codeAt(secret, now).slice(3)}`, now)).toBe(step);
    expect(matchingStep(secret, 'abcdef', now)).toBeUndefined();
  });

  it('seals the secret (a wrong key cannot open it) and makes an otpauth URI', async () => {
    const key = randomBytes(32);
    const sealed = await sealTotpSecret(secret, key);
    expect(sealed).not.toContain(secret);
    expect(await openTotpSecret(sealed, key)).toBe(secret);
    await expect(openTotpSecret(sealed, randomBytes(32))).rejects.toThrow();
    expect(totpUri(secret, 'Latch', 'ada@example.com')).toMatch(/^otpauth:\/\/totp\/Latch:ada%40example\.com\?.*secret=/);
  });

  it('refuses a step at or before the last one accepted, without asking the store', async () => {
    const key = randomBytes(32);
    const record: TotpSecretRecord = { sub: 's', secretSealed: await sealTotpSecret(secret, key), confirmedAt: 1, lastStep: Math.floor(now / 30), createdAt: 1 };
    const store = { acceptStep: async () => true };
    expect(await checkTotp(record, codeAt(secret, now), { totpSecrets: store, key, now }, false)).toBe('reused');
    expect(await checkTotp(record, codeAt(secret, now + 30), { totpSecrets: store, key, now }, false)).toBe('accepted');
    // A pending enrolment's code is not a sign-in code, and a confirmed secret is not confirmed again.
    expect(await checkTotp(record, codeAt(secret, now + 30), { totpSecrets: store, key, now }, true)).toBe('invalid');
  });
});

describe('recovery codes', () => {
  it('are typed in any case, with or without the dash, confusable letters mapped', () => {
    expect(normalizeRecoveryCode('abcde-fghjk')).toBe('ABCDEFGHJK');
    expect(normalizeRecoveryCode('0O1IL-22222')).toBe('00111' + '22222');
    expect(normalizeRecoveryCode('short')).toBeUndefined();
  });
});
