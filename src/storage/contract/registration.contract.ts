import { describe, expect, it } from 'vitest';
import { type RegistrationTokenRecord, StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, NOW, uniqueId } from './fixtures.js';

function aToken(overrides: Partial<RegistrationTokenRecord> = {}): RegistrationTokenRecord {
  return { id: uniqueId('rt'), digest: uniqueId('rt-digest'), usesLeft: 2, createdAt: NOW, expiresAt: NOW + 600, ...overrides };
}

/** Dynamic client registration (issue 15, migration 016): initial access tokens and registration access tokens. */
export function registrationContract({ store }: ContractContext): void {
  describe('registration tokens', () => {
    it('counts uses down atomically, and refuses an expired, used-up or revoked token', async () => {
      const token = aToken();
      const unlimited = aToken({ usesLeft: null, expiresAt: null });
      await store().registrationTokens.create(token);
      await store().registrationTokens.create(unlimited);
      await expect(store().registrationTokens.create(token)).rejects.toBeInstanceOf(StorageConflictError);
      expect(await store().registrationTokens.find(token.digest, NOW)).toEqual(token);
      expect(await store().registrationTokens.find(token.digest, NOW + 600)).toBeUndefined();
      expect(await store().registrationTokens.use(token.digest, NOW + 600)).toBe(false);

      // Three concurrent uses of a token with two: exactly two succeed.
      const uses = await Promise.all([1, 2, 3].map(() => store().registrationTokens.use(token.digest, NOW)));
      expect(uses.filter(Boolean)).toHaveLength(2);
      expect(await store().registrationTokens.find(token.digest, NOW)).toBeUndefined();
      expect(await store().registrationTokens.use('no-such-digest', NOW)).toBe(false);

      for (let i = 0; i < 3; i++) expect(await store().registrationTokens.use(unlimited.digest, NOW + 10 ** 6)).toBe(true);
      const listed = await store().registrationTokens.list();
      expect(listed.find((t) => t.id === token.id)?.usesLeft).toBe(0);
      expect(listed.find((t) => t.id === unlimited.id)?.usesLeft).toBeNull();
      expect(await store().registrationTokens.revoke(unlimited.id)).toBe(true);
      expect(await store().registrationTokens.revoke(unlimited.id)).toBe(false);
      expect(await store().registrationTokens.use(unlimited.digest, NOW)).toBe(false);
    });

    it('keeps one registration access token per client, rotates it only from the current one, and drops it with the client', async () => {
      const client = aClient();
      await store().clients.create(client);
      const first = uniqueId('rat');
      const second = uniqueId('rat');
      await store().clientRegistrations.set(client.clientId, first, NOW);
      expect(await store().clientRegistrations.findClientId(first)).toBe(client.clientId);
      expect(await store().clientRegistrations.rotate(client.clientId, 'not-the-current-one', second, NOW)).toBe(false);
      expect(await store().clientRegistrations.rotate(client.clientId, first, second, NOW)).toBe(true);
      expect(await store().clientRegistrations.rotate(client.clientId, first, uniqueId('rat'), NOW)).toBe(false);
      expect(await store().clientRegistrations.findClientId(first)).toBeUndefined();
      expect(await store().clientRegistrations.findClientId(second)).toBe(client.clientId);
      expect(await store().clients.delete(client.clientId)).toBe(true);
      expect(await store().clientRegistrations.findClientId(second)).toBeUndefined();
    });

    it('the purge deletes expired initial access tokens and keeps the others', async () => {
      const expired = aToken({ expiresAt: NOW - 10 });
      const live = aToken({ expiresAt: NOW + 10 });
      const forever = aToken({ expiresAt: null });
      for (const token of [expired, live, forever]) await store().registrationTokens.create(token);
      const report = await store().purgeExpired(NOW);
      expect(report.deleted.registration_tokens).toBeGreaterThanOrEqual(1);
      const ids = (await store().registrationTokens.list()).map((t) => t.id);
      expect(ids).not.toContain(expired.id);
      expect(ids).toEqual(expect.arrayContaining([live.id, forever.id]));
    });
  });
}
