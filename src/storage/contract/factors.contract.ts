import { describe, expect, it } from 'vitest';
import { StorageConflictError, type PasskeyRecord } from '../types.js';
import type { ContractContext } from './contract.js';
import { aUser, NOW, uniqueId } from './fixtures.js';

function aPasskey(sub: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
  return {
    credentialId: uniqueId('cred'),
    sub,
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'singleDevice',
    backedUp: false,
    name: 'Laptop "Ünïcode"',
    createdAt: NOW,
    lastUsedAt: null,
    ...overrides,
  };
}

/** Second factors (issue 13): TOTP secrets with their last step, single-use recovery codes, passkeys and challenges. */
export function factorsContract({ store }: ContractContext): void {
  describe('second factors', () => {
    it('keeps a pending TOTP secret, confirms it with a first step and never accepts a step twice or an older one', async () => {
      const user = aUser();
      await store().users.create(user);
      const totp = store().totpSecrets;
      expect(await totp.putPending({ sub: user.sub, secretSealed: 'sealed-1', confirmedAt: null, lastStep: null, createdAt: NOW })).toBe(true);
      // A pending enrolment can be restarted; a code for it is not a sign-in code.
      expect(await totp.putPending({ sub: user.sub, secretSealed: 'sealed-2', confirmedAt: null, lastStep: null, createdAt: NOW + 1 })).toBe(true);
      expect(await totp.acceptStep(user.sub, 100, NOW, false)).toBe(false);
      expect(await totp.acceptStep(user.sub, 100, NOW + 2, true)).toBe(true);
      expect(await totp.find(user.sub)).toEqual({ sub: user.sub, secretSealed: 'sealed-2', confirmedAt: NOW + 2, lastStep: 100, createdAt: NOW + 1 });
      // Confirmed: no longer replaced by a new enrolment, no second confirmation.
      expect(await totp.putPending({ sub: user.sub, secretSealed: 'sealed-3', confirmedAt: null, lastStep: null, createdAt: NOW })).toBe(false);
      expect(await totp.acceptStep(user.sub, 101, NOW, true)).toBe(false);
      expect(await totp.acceptStep(user.sub, 100, NOW, false)).toBe(false);
      expect(await totp.acceptStep(user.sub, 99, NOW, false)).toBe(false);
      const both = await Promise.all([totp.acceptStep(user.sub, 101, NOW, false), totp.acceptStep(user.sub, 101, NOW, false)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect((await totp.find(user.sub))?.lastStep).toBe(101);
      expect(await totp.delete(user.sub)).toBe(true);
      expect(await totp.find(user.sub)).toBeUndefined();
    });

    it('replaces recovery codes, consumes each exactly once, counts what is left', async () => {
      const user = aUser();
      await store().users.create(user);
      const codes = store().recoveryCodes;
      const digests = Array.from({ length: 10 }, (_, i) => `digest-${i}`);
      await codes.replace(user.sub, digests, NOW);
      expect(await codes.remaining(user.sub)).toBe(10);
      const both = await Promise.all([codes.consume(user.sub, 'digest-3', NOW), codes.consume(user.sub, 'digest-3', NOW)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await codes.consume(user.sub, 'digest-3', NOW)).toBe(false);
      expect(await codes.remaining(user.sub)).toBe(9);
      // Another person's code is not this person's.
      const other = aUser();
      await store().users.create(other);
      expect(await codes.consume(other.sub, 'digest-4', NOW)).toBe(false);
      await codes.replace(user.sub, ['new-1', 'new-2'], NOW + 1);
      expect(await codes.consume(user.sub, 'digest-4', NOW)).toBe(false);
      expect(await codes.remaining(user.sub)).toBe(2);
      expect(await codes.deleteBySub(user.sub)).toBe(2);
      expect(await codes.remaining(user.sub)).toBe(0);
    });

    it('keeps passkeys per person, refuses a credential id twice, records use, renames and removes', async () => {
      const user = aUser();
      await store().users.create(user);
      const passkeys = store().passkeys;
      const first = aPasskey(user.sub);
      const second = aPasskey(user.sub, { deviceType: 'multiDevice', backedUp: true, transports: [], createdAt: NOW + 1 });
      await passkeys.create(first);
      await passkeys.create(second);
      await expect(passkeys.create({ ...first, sub: user.sub })).rejects.toBeInstanceOf(StorageConflictError);
      expect(await passkeys.listBySub(user.sub)).toEqual([first, second]);
      expect(await passkeys.recordUse(first.credentialId, 7, true, NOW + 5)).toBe(true);
      expect(await passkeys.find(first.credentialId)).toEqual({ ...first, counter: 7, backedUp: true, lastUsedAt: NOW + 5 });
      const stranger = aUser();
      await store().users.create(stranger);
      // Another person can neither rename nor remove it.
      expect(await passkeys.rename(stranger.sub, first.credentialId, 'mine')).toBe(false);
      expect(await passkeys.delete(stranger.sub, first.credentialId)).toBe(false);
      expect(await passkeys.rename(user.sub, first.credentialId, 'Phone')).toBe(true);
      expect((await passkeys.find(first.credentialId))?.name).toBe('Phone');
      expect(await passkeys.delete(user.sub, first.credentialId)).toBe(true);
      expect(await passkeys.deleteBySub(user.sub)).toBe(1);
      expect(await passkeys.listBySub(user.sub)).toEqual([]);
    });

    it('gives each person one stable user handle', async () => {
      const user = aUser();
      await store().users.create(user);
      const passkeys = store().passkeys;
      const handle = await passkeys.userHandle(user.sub, () => uniqueId('handle'));
      expect(await passkeys.userHandle(user.sub, () => uniqueId('other'))).toBe(handle);
      expect(await passkeys.subForUserHandle(handle)).toBe(user.sub);
      expect(await passkeys.subForUserHandle('nobody')).toBeUndefined();
    });

    it('consumes a challenge once, only for its browser and purpose, and not after it expired', async () => {
      const passkeys = store().passkeys;
      const challenge = uniqueId('challenge');
      await passkeys.createChallenge({ challenge, purpose: 'authenticate', browserDigest: 'b1', sub: null, expiresAt: NOW + 60 });
      expect(await passkeys.consumeChallenge(challenge, 'authenticate', 'b2', NOW)).toBeUndefined();
      expect(await passkeys.consumeChallenge(challenge, 'register', 'b1', NOW)).toBeUndefined();
      const both = await Promise.all([passkeys.consumeChallenge(challenge, 'authenticate', 'b1', NOW), passkeys.consumeChallenge(challenge, 'authenticate', 'b1', NOW)]);
      expect(both.filter(Boolean)).toEqual([{ challenge, purpose: 'authenticate', browserDigest: 'b1', sub: null, expiresAt: NOW + 60 }]);
      const old = uniqueId('challenge');
      await passkeys.createChallenge({ challenge: old, purpose: 'register', browserDigest: 'b1', sub: 'someone', expiresAt: NOW });
      expect(await passkeys.consumeChallenge(old, 'register', 'b1', NOW)).toBeUndefined();
    });
  });
}
