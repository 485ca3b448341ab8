import { describe, expect, it } from 'vitest';
import type { GrantRecord, TokenConsumeExpectation } from '../types.js';
import type { ContractContext } from './contract.js';
import { aDeviceCode } from './device-codes.contract.js';
import { aClient, aCode, aGrant, aToken, aUser, NOW, uniqueId } from './fixtures.js';

/**
 * ARCHITECTURE §5: one-time artifacts are consumed atomically, by their rightful client only. The consuming
 * statement itself checks kind and client, so another client's attempt is refused and changes nothing.
 */
export function oneTimeContract({ backend, store }: ContractContext): void {
  async function userGrant(): Promise<GrantRecord> {
    const user = aUser();
    const client = aClient();
    await store().users.create(user);
    await store().clients.create(client);
    const grant = aGrant(client.clientId, user.sub);
    await store().grants.create(grant);
    return grant;
  }

  async function otherClient(): Promise<string> {
    const client = aClient();
    await store().clients.create(client);
    return client.clientId;
  }

  const refresh = (clientId: string, successorDigest?: string): TokenConsumeExpectation =>
    successorDigest === undefined ? { kind: 'refresh_token', clientId } : { kind: 'refresh_token', clientId, successorDigest };

  describe('authorization codes: one client', () => {
    it("refuses another client's code without consuming it: the rightful client still redeems it", async () => {
      const grant = await userGrant();
      const code = aCode(grant);
      await store().codes.create(code);
      expect(await store().codes.consume(code.codeDigest, { clientId: await otherClient() }, NOW + 1)).toBeUndefined();
      expect(await store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW + 2)).toEqual({
        record: { ...code, consumedAt: NOW + 2 },
        firstUse: true,
      });
    });

    it('does not consume an expired code: firstUse false, consumedAt still null', async () => {
      const grant = await userGrant();
      const code = aCode(grant);
      await store().codes.create(code);
      expect(await store().codes.consume(code.codeDigest, { clientId: code.clientId }, code.expiresAt)).toEqual({
        record: code,
        firstUse: false,
      });
    });
  });

  describe('refresh tokens: kind, client and rotation', () => {
    it("refuses another client's refresh token, and an access token, without changing them", async () => {
      const grant = await userGrant();
      const token = aToken(grant);
      const access = aToken(grant, { kind: 'access_token' });
      await store().tokens.create(token);
      await store().tokens.create(access);
      expect(await store().tokens.consume(token.digest, refresh(await otherClient(), uniqueId('next')), NOW + 1)).toBeUndefined();
      expect(await store().tokens.consume(access.digest, refresh(access.clientId, uniqueId('next')), NOW + 1)).toBeUndefined();
      expect(await store().tokens.find(token.digest)).toEqual(token);
      expect(await store().tokens.find(access.digest)).toEqual(access);
      expect((await store().tokens.consume(token.digest, refresh(token.clientId), NOW + 2))?.firstUse).toBe(true);
    });

    it('records the successor with the rotation, and reports its state to a later call', async () => {
      const grant = await userGrant();
      const token = aToken(grant);
      await store().tokens.create(token);
      const next = aToken(grant);
      expect(await store().tokens.consume(token.digest, refresh(token.clientId, next.digest), NOW + 1)).toMatchObject({
        firstUse: true,
        successorDigest: next.digest,
      });
      // Before the successor is written (the rotating request is still busy), and after.
      expect(await store().tokens.consume(token.digest, refresh(token.clientId, uniqueId('other')), NOW + 2)).toEqual({
        record: { ...token, consumedAt: NOW + 1 },
        firstUse: false,
        successorDigest: next.digest,
        successor: null,
        grantRevoked: false,
      });
      expect(await store().tokens.createIfAbsent(next)).toBe(true);
      expect(await store().tokens.createIfAbsent({ ...next, scope: 'changed' })).toBe(false);
      expect(await store().tokens.find(next.digest)).toEqual(next);
      expect(await store().tokens.consume(token.digest, refresh(token.clientId), NOW + 3)).toMatchObject({
        successor: { consumedAt: null, revokedAt: null },
      });
      await store().tokens.consume(next.digest, refresh(next.clientId), NOW + 4);
      expect(await store().tokens.consume(token.digest, refresh(token.clientId), NOW + 5)).toMatchObject({
        firstUse: false,
        successor: { consumedAt: NOW + 4, revokedAt: null },
      });
      await store().grants.revoke(grant.grantId, NOW + 6);
      expect(await store().tokens.consume(token.digest, refresh(token.clientId), NOW + 7)).toMatchObject({
        grantRevoked: true,
        successor: { consumedAt: NOW + 4, revokedAt: NOW + 6 },
      });
    });

    it('does not rotate a revoked or expired token, or one of a revoked grant', async () => {
      const grant = await userGrant();
      const revoked = aToken(grant, { revokedAt: NOW });
      const expired = aToken(grant, { expiresAt: NOW + 10 });
      for (const t of [revoked, expired]) await store().tokens.create(t);
      expect(await store().tokens.consume(revoked.digest, refresh(revoked.clientId), NOW + 1)).toMatchObject({ firstUse: false, record: revoked });
      expect(await store().tokens.consume(expired.digest, refresh(expired.clientId), NOW + 10)).toMatchObject({ firstUse: false, record: expired });

      const other = await userGrant();
      const live = aToken(other);
      await store().tokens.create(live);
      await store().grants.revoke(other.grantId, NOW + 1);
      // Written after the revocation (a refresh that raced it): the grant's state still stops it.
      const late = aToken(other);
      await store().tokens.create(late);
      expect(await store().tokens.consume(late.digest, refresh(late.clientId), NOW + 2)).toEqual({
        record: late,
        firstUse: false,
        successorDigest: null,
        successor: null,
        grantRevoked: true,
      });
    });

    it('lets exactly one of concurrent rotations across two connections win, each recording its own successor only if it won', async () => {
      const second = await backend.open();
      try {
        const grant = await userGrant();
        for (let round = 0; round < 5; round++) {
          const token = aToken(grant);
          await store().tokens.create(token);
          const attempts = Array.from({ length: 8 }, (_, i) => ({ via: i % 2 === 0 ? store() : second, successor: uniqueId('next') }));
          const results = await Promise.all(attempts.map((a) => a.via.tokens.consume(token.digest, refresh(token.clientId, a.successor), NOW)));
          const winners = results.flatMap((r, i) => (r?.firstUse ? [attempts[i]!.successor] : []));
          expect(winners).toHaveLength(1);
          for (const r of results) expect(r?.successorDigest).toBe(winners[0]);
        }
      } finally {
        await second.close();
      }
    });
  });

  describe('device codes: one client, grant at approval', () => {
    async function approved() {
      const user = aUser();
      const client = aClient();
      await store().users.create(user);
      await store().clients.create(client);
      const code = aDeviceCode(client.clientId);
      await store().deviceCodes.create(code);
      const approval = { grantId: uniqueId('grant'), sub: user.sub, sid: uniqueId('sid'), authTime: NOW + 10, amr: ['pwd', 'otp', 'mfa'], scope: 'openid profile' };
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, approval, NOW + 20)).toBe(true);
      return { code, approval };
    }

    it('creates the grant with the approval, for the code’s client; a refused approval creates none', async () => {
      const { code, approval } = await approved();
      expect(await store().grants.find(approval.grantId)).toEqual({
        grantId: approval.grantId,
        clientId: code.clientId,
        sub: approval.sub,
        scope: approval.scope,
        sid: approval.sid,
        authTime: approval.authTime,
        amr: approval.amr,
        createdAt: NOW + 20,
        revokedAt: null,
      });
      const late = { ...approval, grantId: uniqueId('grant') };
      expect(await store().deviceCodes.approve(code.deviceCodeDigest, late, NOW + 21)).toBe(false);
      expect(await store().grants.find(late.grantId)).toBeUndefined();
    });

    it("refuses another client's device code without consuming it", async () => {
      const { code } = await approved();
      expect(await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: await otherClient() }, NOW + 30)).toBeUndefined();
      expect((await store().deviceCodes.find(code.deviceCodeDigest))?.consumedAt).toBeNull();
      expect((await store().deviceCodes.consume(code.deviceCodeDigest, { clientId: code.clientId }, NOW + 31))?.firstUse).toBe(true);
    });
  });
}
