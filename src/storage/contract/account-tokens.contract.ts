import { describe, expect, it } from 'vitest';
import { type AccountTokenRecord, StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aUser, NOW, uniqueId } from './fixtures.js';

function aToken(sub: string, overrides: Partial<AccountTokenRecord> = {}): AccountTokenRecord {
  return { digest: uniqueId('account-token'), kind: 'reset_password', sub, email: 'ada@example.com', createdAt: NOW, expiresAt: NOW + 1800, ...overrides };
}

/** Single-use links mailed to a person (issue 13, migration 012): consumed once, by kind, until they expire. */
export function accountTokensContract({ store }: ContractContext): void {
  describe('account tokens', () => {
    it('consumes a token once, only as its own kind and only before it expires', async () => {
      const user = aUser();
      await store().users.create(user);
      const reset = aToken(user.sub);
      const verify = aToken(user.sub, { kind: 'verify_email', email: 'new@example.com' });
      const late = aToken(user.sub, { expiresAt: NOW + 10 });
      for (const token of [reset, verify, late]) await store().accountTokens.create(token);
      await expect(store().accountTokens.create(reset)).rejects.toBeInstanceOf(StorageConflictError);

      expect(await store().accountTokens.find(reset.digest, 'reset_password', NOW)).toEqual(reset);
      expect(await store().accountTokens.find(reset.digest, 'verify_email', NOW)).toBeUndefined();
      expect(await store().accountTokens.find(late.digest, 'reset_password', NOW + 10)).toBeUndefined();
      expect(await store().accountTokens.consume(reset.digest, 'verify_email', NOW)).toBeUndefined();
      expect(await store().accountTokens.consume(reset.digest, 'reset_password', NOW)).toEqual(reset);
      expect(await store().accountTokens.consume(reset.digest, 'reset_password', NOW)).toBeUndefined();
      expect(await store().accountTokens.consume(verify.digest, 'verify_email', NOW + 5)).toEqual(verify);
      expect(await store().accountTokens.consume(late.digest, 'reset_password', NOW + 10)).toBeUndefined();
      expect(await store().accountTokens.consume('no-such-digest', 'reset_password', NOW)).toBeUndefined();
    });

    it('gives exactly one of two concurrent uses the token', async () => {
      const user = aUser();
      await store().users.create(user);
      const token = aToken(user.sub);
      await store().accountTokens.create(token);
      const results = await Promise.all([1, 2, 3].map(() => store().accountTokens.consume(token.digest, 'reset_password', NOW)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("deletes a person's tokens of one kind, leaves the others, and goes with the person", async () => {
      const user = aUser();
      const other = aUser();
      await store().users.create(user);
      await store().users.create(other);
      const first = aToken(user.sub);
      const second = aToken(user.sub);
      const verify = aToken(user.sub, { kind: 'verify_email' });
      const others = aToken(other.sub);
      for (const token of [first, second, verify, others]) await store().accountTokens.create(token);
      expect(await store().accountTokens.deleteBySub(user.sub, 'reset_password')).toBe(2);
      expect(await store().accountTokens.consume(first.digest, 'reset_password', NOW)).toBeUndefined();
      expect(await store().accountTokens.consume(verify.digest, 'verify_email', NOW)).toEqual(verify);
      expect(await store().users.delete(other.sub)).toBe(true);
      expect(await store().accountTokens.consume(others.digest, 'reset_password', NOW)).toBeUndefined();
    });

    it('purges expired tokens with the other expired rows', async () => {
      const user = aUser();
      await store().users.create(user);
      const expired = aToken(user.sub, { expiresAt: NOW + 1 });
      const live = aToken(user.sub, { expiresAt: NOW + 1000 });
      await store().accountTokens.create(expired);
      await store().accountTokens.create(live);
      await store().purgeExpired(NOW + 1);
      // Consuming at an earlier time shows the row itself is gone, not merely expired.
      expect(await store().accountTokens.consume(expired.digest, 'reset_password', NOW)).toBeUndefined();
      expect(await store().accountTokens.consume(live.digest, 'reset_password', NOW)).toEqual(live);
    });
  });
}
