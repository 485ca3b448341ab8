import { describe, expect, it } from 'vitest';
import type { GrantRecord } from '../types.js';
import { StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aCode, aGrant, aToken, aUser, NOW, uniqueId } from './fixtures.js';

export function grantsContract({ backend, store }: ContractContext): void {
  async function userGrant(overrides: Partial<GrantRecord> = {}): Promise<GrantRecord> {
    const user = aUser();
    const client = aClient();
    await store().users.create(user);
    await store().clients.create(client);
    const grant = aGrant(client.clientId, user.sub, overrides);
    await store().grants.create(grant);
    return grant;
  }

  describe('grants', () => {
    it('creates and finds a grant, with or without a user', async () => {
      const grant = await userGrant();
      expect(await store().grants.find(grant.grantId)).toEqual(grant);
      const appGrant = aGrant(grant.clientId, null);
      await store().grants.create(appGrant);
      expect(await store().grants.find(appGrant.grantId)).toEqual(appGrant);
      expect(await store().grants.find(uniqueId('missing'))).toBeUndefined();
      await expect(store().grants.create(grant)).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('lists the grants of a user, oldest first', async () => {
      const first = await userGrant({ createdAt: NOW + 2 });
      const second = aGrant(first.clientId, first.sub, { createdAt: NOW + 3 });
      const earlier = aGrant(first.clientId, first.sub, { createdAt: NOW + 1 });
      await store().grants.create(second);
      await store().grants.create(earlier);
      expect(await store().grants.listBySub(first.sub!)).toEqual([earlier, first, second]);
      expect(await store().grants.listBySub(uniqueId('missing'))).toEqual([]);
    });

    it('revokes the grant and every token of it, and nothing else', async () => {
      const grant = await userGrant();
      const other = aGrant(grant.clientId, grant.sub);
      await store().grants.create(other);
      const refresh = aToken(grant);
      const access = aToken(grant, { kind: 'access_token' });
      const alreadyRevoked = aToken(grant, { revokedAt: NOW + 1 });
      const otherToken = aToken(other);
      for (const t of [refresh, access, alreadyRevoked, otherToken]) await store().tokens.create(t);

      expect(await store().grants.revoke(grant.grantId, NOW + 50)).toBe(true);
      expect((await store().grants.find(grant.grantId))?.revokedAt).toBe(NOW + 50);
      expect((await store().tokens.find(refresh.digest))?.revokedAt).toBe(NOW + 50);
      expect((await store().tokens.find(access.digest))?.revokedAt).toBe(NOW + 50);
      expect((await store().tokens.find(alreadyRevoked.digest))?.revokedAt).toBe(NOW + 1);
      expect((await store().tokens.find(otherToken.digest))?.revokedAt).toBeNull();
      expect((await store().grants.find(other.grantId))?.revokedAt).toBeNull();

      const late = aToken(grant);
      await store().tokens.create(late);
      expect(await store().grants.revoke(grant.grantId, NOW + 60)).toBe(true);
      expect((await store().grants.find(grant.grantId))?.revokedAt).toBe(NOW + 50);
      expect((await store().tokens.find(late.digest))?.revokedAt).toBe(NOW + 60);

      expect(await store().grants.revoke(uniqueId('missing'), NOW)).toBe(false);
    });
  });

  describe('authorization codes', () => {
    it('consumes a code once: firstUse true, then false with the first consumption time', async () => {
      const grant = await userGrant();
      const code = aCode(grant);
      await store().codes.create(code);
      expect(await store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW + 5)).toEqual({
        record: { ...code, consumedAt: NOW + 5 },
        firstUse: true,
      });
      expect(await store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW + 9)).toEqual({
        record: { ...code, consumedAt: NOW + 5 },
        firstUse: false,
      });
      expect(await store().codes.consume(uniqueId('missing'), { clientId: grant.clientId }, NOW)).toBeUndefined();
      await expect(store().codes.create(code)).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('keeps nullable fields null', async () => {
      const grant = await userGrant();
      const code = aCode(grant, { nonce: null, codeChallenge: null, codeChallengeMethod: null, sid: null, data: {} });
      await store().codes.create(code);
      expect((await store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW))?.record).toEqual({ ...code, consumedAt: NOW });
    });

    it('lets exactly one of five concurrent consumers win', async () => {
      const grant = await userGrant();
      const code = aCode(grant);
      await store().codes.create(code);
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW + i)));
      expect(results.filter((r) => r?.firstUse)).toHaveLength(1);
      expect(results.every((r) => r !== undefined)).toBe(true);
    });

    it('lets exactly one consumer win across two connections', async () => {
      const second = await backend.open();
      try {
        const grant = await userGrant();
        const codes = Array.from({ length: 5 }, () => aCode(grant));
        for (const code of codes) await store().codes.create(code);
        for (const code of codes) {
          const results = await Promise.all([
            store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW),
            second.codes.consume(code.codeDigest, { clientId: code.clientId }, NOW),
            store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW),
            second.codes.consume(code.codeDigest, { clientId: code.clientId }, NOW),
          ]);
          expect(results.filter((r) => r?.firstUse)).toHaveLength(1);
        }
      } finally {
        await second.close();
      }
    });
  });

  describe('tokens', () => {
    it('creates and finds tokens, with or without a grant and user', async () => {
      const grant = await userGrant();
      const refresh = aToken(grant, { audience: 'https://api.example', data: { cnf: { jkt: 'abc' }, acr: '1' } });
      await store().tokens.create(refresh);
      expect(await store().tokens.find(refresh.digest)).toEqual(refresh);
      const machine = aToken(grant, { kind: 'access_token', grantId: null, sub: null, data: {} });
      await store().tokens.create(machine);
      expect(await store().tokens.find(machine.digest)).toEqual(machine);
      expect(await store().tokens.find(uniqueId('missing'))).toBeUndefined();
      await expect(store().tokens.create(refresh)).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('finds a token together with the state of its grant, in one lookup', async () => {
      const grant = await userGrant();
      const access = aToken(grant, { kind: 'access_token' });
      const machine = aToken(grant, { kind: 'access_token', grantId: null, sub: null, data: {} });
      for (const t of [access, machine]) await store().tokens.create(t);
      expect(await store().tokens.findWithGrant(access.digest)).toEqual({ token: access, grantRevoked: false });
      expect(await store().tokens.findWithGrant(machine.digest)).toEqual({ token: machine, grantRevoked: false });
      expect(await store().tokens.findWithGrant(uniqueId('missing'))).toBeUndefined();

      // A token written after its grant was revoked (a refresh racing the revocation) still shows the revocation.
      await store().grants.revoke(grant.grantId, NOW + 50);
      const late = aToken(grant, { kind: 'access_token' });
      await store().tokens.create(late);
      expect(await store().tokens.findWithGrant(late.digest)).toEqual({ token: late, grantRevoked: true });
      expect((await store().tokens.findWithGrant(machine.digest))?.grantRevoked).toBe(false);
    });

    it('consumes a refresh token once', async () => {
      const grant = await userGrant();
      const token = aToken(grant);
      await store().tokens.create(token);
      const expected = { kind: 'refresh_token', clientId: token.clientId } as const;
      expect(await store().tokens.consume(token.digest, expected, NOW + 1)).toEqual({
        record: { ...token, consumedAt: NOW + 1 },
        firstUse: true,
        successorDigest: null,
        successor: null,
        grantRevoked: false,
      });
      expect(await store().tokens.consume(token.digest, expected, NOW + 2)).toMatchObject({ record: { ...token, consumedAt: NOW + 1 }, firstUse: false });
      expect(await store().tokens.consume(uniqueId('missing'), expected, NOW)).toBeUndefined();
    });

    it('lets exactly one of five concurrent rotations win', async () => {
      const grant = await userGrant();
      const token = aToken(grant);
      await store().tokens.create(token);
      const expected = { kind: 'refresh_token', clientId: token.clientId } as const;
      const results = await Promise.all(Array.from({ length: 5 }, () => store().tokens.consume(token.digest, expected, NOW)));
      expect(results.filter((r) => r?.firstUse)).toHaveLength(1);
      expect(results.filter((r) => r?.firstUse === false)).toHaveLength(4);
    });

    it('revokes one token, keeping the first revocation time', async () => {
      const grant = await userGrant();
      const [token, other] = [aToken(grant), aToken(grant)];
      await store().tokens.create(token);
      await store().tokens.create(other);
      expect(await store().tokens.revoke(token.digest, NOW + 3)).toBe(true);
      expect(await store().tokens.revoke(token.digest, NOW + 4)).toBe(true);
      expect((await store().tokens.find(token.digest))?.revokedAt).toBe(NOW + 3);
      expect((await store().tokens.find(other.digest))?.revokedAt).toBeNull();
      expect((await store().grants.find(grant.grantId))?.revokedAt).toBeNull();
      expect(await store().tokens.revoke(uniqueId('missing'), NOW)).toBe(false);
    });
  });
}
