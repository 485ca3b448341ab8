import { describe, expect, it } from 'vitest';
import type { GrantRecord } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aCode, aGrant, aToken, aUser, NOW } from './fixtures.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const OTHER_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

/** RFC 9449: the DPoP key a token is bound to, and the dpop_jkt of a code, are kept (migration 018) and enforced by rotation. */
export function dpopBindingContract({ store }: ContractContext): void {
  async function userGrant(): Promise<GrantRecord> {
    const user = aUser();
    const client = aClient();
    await store().users.create(user);
    await store().clients.create(client);
    const grant = aGrant(client.clientId, user.sub);
    await store().grants.create(grant);
    return grant;
  }

  describe('DPoP binding (RFC 9449)', () => {
    it('keeps the jkt of a bound token, and none for a bearer token', async () => {
      const grant = await userGrant();
      const bound = aToken(grant, { kind: 'access_token', jkt: JKT });
      const bearer = aToken(grant, { kind: 'access_token' });
      await store().tokens.create(bound);
      await store().tokens.create(bearer);
      expect(await store().tokens.find(bound.digest)).toEqual(bound);
      expect((await store().tokens.findWithGrant(bound.digest))?.token.jkt).toBe(JKT);
      const read = await store().tokens.find(bearer.digest);
      expect(read).toEqual(bearer);
      expect(read && 'jkt' in read).toBe(false);
      const ifAbsent = aToken(grant, { jkt: JKT });
      expect(await store().tokens.createIfAbsent(ifAbsent)).toBe(true);
      expect(await store().tokens.find(ifAbsent.digest)).toEqual(ifAbsent);
    });

    it('keeps the dpop_jkt of an authorization code, and consumes it only with that key', async () => {
      const grant = await userGrant();
      const code = aCode(grant, { dpopJkt: JKT });
      await store().codes.create(code);
      const without = await store().codes.consume(code.codeDigest, { clientId: code.clientId }, NOW + 1);
      expect(without).toEqual({ record: code, firstUse: false });
      const other = await store().codes.consume(code.codeDigest, { clientId: code.clientId, dpopJkt: OTHER_JKT }, NOW + 1);
      expect(other).toEqual({ record: code, firstUse: false });
      const consumed = await store().codes.consume(code.codeDigest, { clientId: code.clientId, dpopJkt: JKT }, NOW + 1);
      expect(consumed).toEqual({ record: { ...code, consumedAt: NOW + 1 }, firstUse: true });
      const plain = aCode(grant);
      await store().codes.create(plain);
      const read = await store().codes.consume(plain.codeDigest, { clientId: plain.clientId }, NOW + 1);
      expect(read?.record && 'dpopJkt' in read.record).toBe(false);
    });

    it('rotates a bound refresh token only with its key: without one, or with another, nothing changes', async () => {
      const grant = await userGrant();
      const token = aToken(grant, { jkt: JKT });
      await store().tokens.create(token);
      const expected = { kind: 'refresh_token', clientId: token.clientId } as const;
      const without = await store().tokens.consume(token.digest, expected, NOW + 1);
      expect(without?.firstUse).toBe(false);
      expect(without?.record.consumedAt).toBeNull();
      const other = await store().tokens.consume(token.digest, { ...expected, jkt: OTHER_JKT }, NOW + 2);
      expect(other?.firstUse).toBe(false);
      expect(other?.record.consumedAt).toBeNull();
      const right = await store().tokens.consume(token.digest, { ...expected, jkt: JKT }, NOW + 3);
      expect(right?.firstUse).toBe(true);
      expect(right?.record).toEqual({ ...token, consumedAt: NOW + 3 });
    });

    it('rotates an unbound refresh token with or without a proof', async () => {
      const grant = await userGrant();
      const a = aToken(grant);
      const b = aToken(grant);
      await store().tokens.create(a);
      await store().tokens.create(b);
      const expected = { kind: 'refresh_token', clientId: a.clientId } as const;
      expect((await store().tokens.consume(a.digest, { ...expected, jkt: JKT }, NOW + 1))?.firstUse).toBe(true);
      expect((await store().tokens.consume(b.digest, expected, NOW + 1))?.firstUse).toBe(true);
    });
  });
}
