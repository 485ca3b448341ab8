import { describe, expect, it } from 'vitest';
import type { DeviceApproval, DeviceCodeRecord } from '../types.js';
import { StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aUser, NOW, uniqueId } from './fixtures.js';

export function aDeviceCode(clientId: string, overrides: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord {
  return {
    deviceCodeDigest: uniqueId('device-code'),
    userCodeDigest: uniqueId('user-code'),
    clientId,
    scope: 'openid profile offline_access',
    status: 'pending',
    grantId: null,
    sub: null,
    sid: null,
    authTime: null,
    interval: 5,
    lastPolledAt: null,
    createdAt: NOW,
    expiresAt: NOW + 600,
    decidedAt: null,
    consumedAt: null,
    ...overrides,
  };
}

export function deviceCodesContract({ store }: ContractContext): void {
  async function setup(overrides: Partial<DeviceCodeRecord> = {}) {
    const user = aUser();
    const client = aClient();
    await store().users.create(user);
    await store().clients.create(client);
    const code = aDeviceCode(client.clientId, overrides);
    await store().deviceCodes.create(code);
    const approval: DeviceApproval = { grantId: uniqueId('grant'), sub: user.sub, sid: uniqueId('sid'), authTime: NOW + 10, amr: ['pwd'], scope: 'openid profile' };
    return { user, client, code, approval };
  }

  describe('device codes', () => {
    it('creates and finds a device code by its digest and by its user code digest', async () => {
      const { code } = await setup();
      expect(await store().deviceCodes.find(code.deviceCodeDigest)).toEqual(code);
      expect(await store().deviceCodes.findByUserCode(code.userCodeDigest, NOW)).toEqual(code);
      expect(await store().deviceCodes.find(uniqueId('missing'))).toBeUndefined();
      expect(await store().deviceCodes.findByUserCode(uniqueId('missing'), NOW)).toBeUndefined();
    });

    it('does not find an expired user code', async () => {
      const { code } = await setup();
      expect(await store().deviceCodes.findByUserCode(code.userCodeDigest, code.expiresAt - 1)).toBeDefined();
      expect(await store().deviceCodes.findByUserCode(code.userCodeDigest, code.expiresAt)).toBeUndefined();
    });

    it('refuses a second device code with the same device code or user code digest', async () => {
      const { code, client } = await setup();
      await expect(store().deviceCodes.create(aDeviceCode(client.clientId, { deviceCodeDigest: code.deviceCodeDigest }))).rejects.toBeInstanceOf(
        StorageConflictError,
      );
      await expect(store().deviceCodes.create(aDeviceCode(client.clientId, { userCodeDigest: code.userCodeDigest }))).rejects.toBeInstanceOf(
        StorageConflictError,
      );
    });

    it('rejects a device code for an unknown client, and not as a conflict', async () => {
      const error = await store()
        .deviceCodes.create(aDeviceCode('no-such-client'))
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(StorageConflictError);
    });

    it('approves a pending code once, recording who, when and what was granted', async () => {
      const { code, approval } = await setup();
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 20)).toBe(true);
      expect(await store().deviceCodes.find(code.deviceCodeDigest)).toEqual({
        ...code,
        status: 'approved',
        grantId: approval.grantId,
        sub: approval.sub,
        sid: approval.sid,
        authTime: approval.authTime,
        scope: approval.scope,
        decidedAt: NOW + 20,
      });
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 21)).toBe(false);
      expect(await store().deviceCodes.deny(code.deviceCodeDigest, NOW + 21)).toBe(false);
      expect((await store().deviceCodes.find(code.deviceCodeDigest))?.status).toBe('approved');
    });

    it('denies a pending code once', async () => {
      const { code, approval } = await setup();
      expect(await store().deviceCodes.deny(code.deviceCodeDigest, NOW + 20)).toBe(true);
      const denied = await store().deviceCodes.find(code.deviceCodeDigest);
      expect(denied).toMatchObject({ status: 'denied', decidedAt: NOW + 20, sub: null, grantId: null });
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 21)).toBe(false);
      expect(await store().deviceCodes.deny(code.deviceCodeDigest, NOW + 21)).toBe(false);
      expect(await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 22)).toBeUndefined();
    });

    it('decides nothing once the code has expired, or when it is unknown', async () => {
      const { code, approval } = await setup();
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, approval, code.expiresAt)).toBe(false);
      expect(await store().deviceCodes.deny(code.deviceCodeDigest, code.expiresAt + 1)).toBe(false);
      expect((await store().deviceCodes.find(code.deviceCodeDigest))?.status).toBe('pending');
      expect(await store().deviceCodes.approve(uniqueId('missing'), approval, NOW)).toBe(false);
      expect(await store().deviceCodes.deny(uniqueId('missing'), NOW)).toBe(false);
    });

    it('lets exactly one of concurrent decisions win', async () => {
      const { code, approval } = await setup();
      const results = await Promise.all([
        store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 1),
        store().deviceCodes.deny(code.deviceCodeDigest, NOW + 1),
        store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 1),
        store().deviceCodes.deny(code.deviceCodeDigest, NOW + 1),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('rejects an approval by an unknown user (the sub must be a real user)', async () => {
      const { code, approval } = await setup();
      const error = await store()
        .deviceCodes.approve(code.deviceCodeDigest, { ...approval, sub: uniqueId('nobody') }, NOW + 1)
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((await store().deviceCodes.find(code.deviceCodeDigest))?.status).toBe('pending');
    });

    it('records polls and the interval the client must keep', async () => {
      const { code } = await setup();
      expect(await store().deviceCodes.recordPoll(code.deviceCodeDigest, NOW + 5, 5)).toBe(true);
      expect(await store().deviceCodes.find(code.deviceCodeDigest)).toMatchObject({ lastPolledAt: NOW + 5, interval: 5 });
      expect(await store().deviceCodes.recordPoll(code.deviceCodeDigest, NOW + 6, 10)).toBe(true);
      expect(await store().deviceCodes.find(code.deviceCodeDigest)).toMatchObject({ lastPolledAt: NOW + 6, interval: 10 });
      expect(await store().deviceCodes.recordPoll(uniqueId('missing'), NOW, 5)).toBe(false);
    });

    it('consumes an approved code once; a pending code cannot be consumed', async () => {
      const { code, approval } = await setup();
      expect(await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 1)).toBeUndefined();
      await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 2);
      const first = await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 3);
      expect(first?.firstUse).toBe(true);
      expect(first?.record).toMatchObject({ status: 'approved', consumedAt: NOW + 3, sub: approval.sub, grantId: approval.grantId });
      const second = await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 4);
      expect(second?.firstUse).toBe(false);
      expect(second?.record.consumedAt).toBe(NOW + 3);
      expect(await store().deviceCodes.consume(uniqueId('missing'), { clientId: code.clientId }, NOW)).toBeUndefined();
    });

    it('lets exactly one of concurrent redemptions consume the code', async () => {
      const { code, approval } = await setup();
      await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 1);
      const results = await Promise.all(Array.from({ length: 5 }, () => store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 2)));
      expect(results.filter((r) => r?.firstUse)).toHaveLength(1);
      expect(results.every((r) => r !== undefined)).toBe(true);
    });

    it('is deleted with its client, and with the user who approved it', async () => {
      const { code, client, user, approval } = await setup();
      const other = aDeviceCode(client.clientId);
      await store().deviceCodes.create(other);
      await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 1);
      expect(await store().users.delete(user.sub)).toBe(true);
      expect(await store().deviceCodes.find(code.deviceCodeDigest)).toBeUndefined();
      expect(await store().deviceCodes.find(other.deviceCodeDigest)).toBeDefined();
      expect(await store().clients.delete(client.clientId)).toBe(true);
      expect(await store().deviceCodes.find(other.deviceCodeDigest)).toBeUndefined();
    });

    it('is purged once expired', async () => {
      const { client } = await setup();
      const at = NOW + 2_000_000;
      const live = aDeviceCode(client.clientId, { expiresAt: at + 1 });
      const dead = aDeviceCode(client.clientId, { expiresAt: at });
      await store().deviceCodes.create(live);
      await store().deviceCodes.create(dead);
      await store().purgeExpired(at);
      expect(await store().deviceCodes.find(dead.deviceCodeDigest)).toBeUndefined();
      expect(await store().deviceCodes.find(live.deviceCodeDigest)).toBeDefined();
    });
  });
}
