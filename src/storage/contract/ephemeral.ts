import { describe, expect, it } from 'vitest';
import type { ContractContext } from './contract.js';
import { aClient, aCode, aGrant, anInteraction, aSession, aToken, aUser, NOW, uniqueId } from './fixtures.js';

export function ephemeralContract({ backend, store }: ContractContext): void {
  describe('replay', () => {
    it('remembers a value until it expires', async () => {
      const key = uniqueId('jti');
      expect(await store().replay.remember(key, NOW + 60, NOW)).toBe(true);
      expect(await store().replay.remember(key, NOW + 120, NOW + 1)).toBe(false);
      expect(await store().replay.remember(key, NOW + 120, NOW + 59)).toBe(false);
      expect(await store().replay.remember(uniqueId('jti'), NOW + 60, NOW)).toBe(true);
      // Expired entries may be taken over, and then count from their new expiry.
      expect(await store().replay.remember(key, NOW + 200, NOW + 60)).toBe(true);
      expect(await store().replay.remember(key, NOW + 300, NOW + 199)).toBe(false);
    });

    it('lets exactly one of concurrent callers remember a value', async () => {
      const key = uniqueId('jti');
      const results = await Promise.all(Array.from({ length: 5 }, () => store().replay.remember(key, NOW + 60, NOW)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('rate limits', () => {
    it('counts hits in fixed windows', async () => {
      const key = uniqueId('ip');
      const start = 1_900_000_020; // a multiple of 60
      expect(await store().rateLimits.hit(key, 60, start)).toBe(1);
      expect(await store().rateLimits.hit(key, 60, start + 30)).toBe(2);
      expect(await store().rateLimits.hit(key, 60, start + 59)).toBe(3);
      expect(await store().rateLimits.hit(key, 60, start + 60)).toBe(1);
      expect(await store().rateLimits.hit(key, 60, start + 61)).toBe(2);
      expect(await store().rateLimits.hit(key, 10, start + 61)).toBe(1);
      expect(await store().rateLimits.hit(uniqueId('ip'), 60, start)).toBe(1);
    });

    it('counts concurrent hits', async () => {
      const key = uniqueId('ip');
      const counts = await Promise.all(Array.from({ length: 5 }, () => store().rateLimits.hit(key, 60, NOW)));
      expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    });

    it('resets every window of a key', async () => {
      const key = uniqueId('ip');
      await store().rateLimits.hit(key, 60, NOW);
      await store().rateLimits.hit(key, 60, NOW);
      await store().rateLimits.reset(key);
      expect(await store().rateLimits.hit(key, 60, NOW)).toBe(1);
      await store().rateLimits.reset(uniqueId('ip'));
    });

    it('reads the current and the previous window without counting', async () => {
      const [key, other, none] = [uniqueId('ip'), uniqueId('ip'), uniqueId('ip')];
      const start = 1_900_000_020; // a multiple of 60
      await store().rateLimits.hit(key, 60, start - 60);
      await store().rateLimits.hit(key, 60, start - 1);
      await store().rateLimits.hit(key, 60, start + 5);
      await store().rateLimits.hit(key, 30, start + 5); // another window size is another count
      await store().rateLimits.hit(other, 60, start - 120); // two windows back: not read
      const counts = await store().rateLimits.counts([key, other, none], 60, start + 30);
      expect(counts.get(key)).toEqual({ current: 1, previous: 2 });
      expect(counts.get(other)).toEqual({ current: 0, previous: 0 });
      expect(counts.get(none)).toEqual({ current: 0, previous: 0 });
      expect((await store().rateLimits.counts([key], 60, start + 30)).get(key)).toEqual({ current: 1, previous: 2 });
      expect((await store().rateLimits.counts([], 60, start)).size).toBe(0);
    });

    it('rejects a window that is not a positive integer', async () => {
      await expect(store().rateLimits.hit(uniqueId('ip'), 0, NOW)).rejects.toThrow(RangeError);
      await expect(store().rateLimits.counts([uniqueId('ip')], 1.5, NOW)).rejects.toThrow(RangeError);
    });
  });

  describe('purgeExpired', () => {
    it('deletes expired codes, tokens, sessions, interactions, replay entries and rate-limit windows', async () => {
      const s = store();
      const at = NOW + 1_000_000; // every row dated before this by other tests has expired too
      const user = aUser();
      const client = aClient();
      await s.users.create(user);
      await s.clients.create(client);
      const grant = aGrant(client.clientId, user.sub);
      await s.grants.create(grant);
      const live = { expiresAt: at + 1 };
      const dead = { expiresAt: at };
      const [liveCode, deadCode] = [aCode(grant, live), aCode(grant, dead)];
      const [liveToken, deadToken] = [aToken(grant, live), aToken(grant, dead)];
      const [liveSession, deadSession] = [aSession(user.sub, live), aSession(user.sub, dead)];
      const [liveInteraction, deadInteraction] = [anInteraction(client.clientId, live), anInteraction(client.clientId, dead)];
      for (const c of [liveCode, deadCode]) await s.codes.create(c);
      for (const t of [liveToken, deadToken]) await s.tokens.create(t);
      for (const x of [liveSession, deadSession]) await s.sessions.create(x);
      for (const i of [liveInteraction, deadInteraction]) await s.interactions.create(i);
      const [liveJti, deadJti] = [uniqueId('jti'), uniqueId('jti')];
      await s.replay.remember(liveJti, at + 1, NOW);
      await s.replay.remember(deadJti, at, NOW);
      const [liveIp, deadIp] = [uniqueId('ip'), uniqueId('ip')];
      // A window is kept until the next one ends: the sliding estimate reads the previous window.
      await s.rateLimits.hit(liveIp, 10, at - 10); // window [at - 10, at), still read until at + 10
      await s.rateLimits.hit(deadIp, 10, at - 20); // window [at - 20, at - 10), last read before at

      await s.purgeExpired(at);

      const count = async (table: 'replay' | 'rate_limits', key: string) =>
        backend.countEphemeral ? backend.countEphemeral(table, key) : Number((await s.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('key', '=', key).executeTakeFirstOrThrow()).n);
      expect(await s.tokens.find(deadToken.digest)).toBeUndefined();
      expect(await s.tokens.find(liveToken.digest)).toBeDefined();
      expect(await s.codes.consume(deadCode.codeDigest, { clientId: deadCode.clientId }, at)).toBeUndefined();
      expect((await s.codes.consume(liveCode.codeDigest, { clientId: liveCode.clientId }, at))?.firstUse).toBe(true);
      expect(await s.sessions.find(deadSession.idDigest, 0)).toBeUndefined();
      expect(await s.sessions.find(liveSession.idDigest, 0)).toBeDefined();
      expect(await s.interactions.find(deadInteraction.idDigest, 0)).toBeUndefined();
      expect(await s.interactions.find(liveInteraction.idDigest, 0)).toBeDefined();
      expect(await count('replay', deadJti)).toBe(0);
      expect(await count('replay', liveJti)).toBe(1);
      expect(await count('rate_limits', deadIp)).toBe(0);
      expect(await count('rate_limits', liveIp)).toBe(1);
      expect(await s.grants.find(grant.grantId)).toBeDefined();
      expect(await s.users.findBySub(user.sub)).toBeDefined();
    });
  });
}
