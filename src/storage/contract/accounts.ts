import { describe, expect, it } from 'vitest';
import { StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aKey, anInteraction, aSession, aUser, NOW, uniqueId } from './fixtures.js';

export function accountsContract({ store }: ContractContext): void {
  describe('clients', () => {
    it('creates, finds and lists a client', async () => {
      const client = aClient({
        clientSecretDigest: null,
        metadata: {
          ...aClient().metadata,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
        },
      });
      await store().clients.create(client);
      expect(await store().clients.find(client.clientId)).toEqual(client);
      expect(await store().clients.find(uniqueId('missing'))).toBeUndefined();
      const listed = await store().clients.list();
      expect(listed).toContainEqual(client);
    });

    it('throws StorageConflictError for a duplicate client_id', async () => {
      const client = aClient();
      await store().clients.create(client);
      await expect(store().clients.create({ ...client, createdAt: NOW + 1 })).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('updates the secret digest and metadata', async () => {
      const client = aClient();
      await store().clients.create(client);
      expect(await store().clients.update(client.clientId, { clientSecretDigest: 'bmV3' })).toBe(true);
      expect((await store().clients.find(client.clientId))?.clientSecretDigest).toBe('bmV3');
      const metadata = { ...client.metadata, client_name: 'Renamed', redirect_uris: ['https://b.example/cb'] };
      expect(await store().clients.update(client.clientId, { metadata, clientSecretDigest: null })).toBe(true);
      expect(await store().clients.find(client.clientId)).toEqual({ ...client, metadata, clientSecretDigest: null });
      expect(await store().clients.update(client.clientId, {})).toBe(true);
      expect(await store().clients.update(uniqueId('missing'), { clientSecretDigest: null })).toBe(false);
      expect(await store().clients.update(uniqueId('missing'), {})).toBe(false);
    });
  });

  describe('users', () => {
    it('creates and finds a user by sub and by email, in any case', async () => {
      const user = aUser({ emailVerified: false, passwordHash: null });
      await store().users.create(user);
      expect(await store().users.findBySub(user.sub)).toEqual(user);
      expect(await store().users.findByEmail(user.email)).toEqual(user);
      expect(await store().users.findByEmail(user.email.toUpperCase())).toEqual(user);
      expect(await store().users.findByEmail(uniqueId('missing') + '@example.com')).toBeUndefined();
      expect(await store().users.findBySub(uniqueId('missing'))).toBeUndefined();
      expect(await store().users.list()).toContainEqual(user);
    });

    it('stores emails lower-case', async () => {
      const sub = uniqueId('user');
      await store().users.create(aUser({ sub, email: `Mixed.Case+${sub}@Example.COM` }));
      const found = await store().users.findByEmail(`mixed.case+${sub}@example.com`);
      expect(found?.sub).toBe(sub);
      expect(found?.email).toBe(`mixed.case+${sub}@example.com`);
    });

    it('throws StorageConflictError for a duplicate sub or email (whatever its case)', async () => {
      const user = aUser();
      await store().users.create(user);
      await expect(store().users.create(aUser({ sub: user.sub }))).rejects.toBeInstanceOf(StorageConflictError);
      await expect(store().users.create(aUser({ email: user.email.toUpperCase() }))).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('updates password, profile and email_verified', async () => {
      const user = aUser({ emailVerified: false });
      await store().users.create(user);
      expect(await store().users.update(user.sub, { emailVerified: true, updatedAt: NOW + 5 })).toBe(true);
      expect(await store().users.findBySub(user.sub)).toEqual({ ...user, emailVerified: true, updatedAt: NOW + 5 });
      const profile = { given_name: 'Grace', family_name: 'Hopper', locale: 'en-US' };
      expect(await store().users.update(user.sub, { passwordHash: null, profile, updatedAt: NOW + 6 })).toBe(true);
      expect(await store().users.findBySub(user.sub)).toEqual({
        ...user,
        emailVerified: true,
        passwordHash: null,
        profile,
        updatedAt: NOW + 6,
      });
      expect(await store().users.update(uniqueId('missing'), { updatedAt: NOW })).toBe(false);
    });

    it('replaces a password hash only while it is still the one expected, leaving updated_at', async () => {
      const user = aUser({ passwordHash: '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$b2xk' });
      await store().users.create(user);
      const next = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$bmV3';
      expect(await store().users.replacePasswordHash(user.sub, '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$b3RoZXI', next)).toBe(false);
      expect(await store().users.findBySub(user.sub)).toEqual(user);
      expect(await store().users.replacePasswordHash(user.sub, user.passwordHash!, next)).toBe(true);
      expect(await store().users.findBySub(user.sub)).toEqual({ ...user, passwordHash: next });
      // The old hash is no longer there to be replaced: a second, late rehash changes nothing.
      expect(await store().users.replacePasswordHash(user.sub, user.passwordHash!, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$bGF0ZQ')).toBe(false);
      expect((await store().users.findBySub(user.sub))?.passwordHash).toBe(next);
      expect(await store().users.replacePasswordHash(uniqueId('missing'), user.passwordHash!, next)).toBe(false);
    });
  });

  describe('sessions', () => {
    it('finds a session until it expires', async () => {
      const user = aUser();
      await store().users.create(user);
      const session = aSession(user.sub, { amr: ['pwd', 'otp'], expiresAt: NOW + 100 });
      await store().sessions.create(session);
      expect(await store().sessions.find(session.idDigest, NOW)).toEqual(session);
      expect(await store().sessions.find(session.idDigest, NOW + 99)).toEqual(session);
      expect(await store().sessions.find(session.idDigest, NOW + 100)).toBeUndefined();
      expect(await store().sessions.find(uniqueId('missing'), NOW)).toBeUndefined();
    });

    it('deletes by id digest and by sid', async () => {
      const user = aUser();
      await store().users.create(user);
      const [a, b] = [aSession(user.sub), aSession(user.sub)];
      await store().sessions.create(a);
      await store().sessions.create(b);
      expect(await store().sessions.delete(a.idDigest)).toBe(true);
      expect(await store().sessions.delete(a.idDigest)).toBe(false);
      expect(await store().sessions.find(a.idDigest, NOW)).toBeUndefined();
      expect(await store().sessions.deleteBySid(b.sid)).toBe(true);
      expect(await store().sessions.deleteBySid(b.sid)).toBe(false);
      expect(await store().sessions.find(b.idDigest, NOW)).toBeUndefined();
    });
  });

  describe('interactions', () => {
    it('finds an interaction until it expires, updates its result and deletes it', async () => {
      const client = aClient();
      await store().clients.create(client);
      const interaction = anInteraction(client.clientId, { expiresAt: NOW + 600 });
      await store().interactions.create(interaction);
      expect(await store().interactions.find(interaction.idDigest, NOW)).toEqual(interaction);
      expect(await store().interactions.find(interaction.idDigest, NOW + 600)).toBeUndefined();

      const result = { sub: 'someone', sid: 'sid-1', authTime: NOW, consented: ['openid', 'email'], denied: false };
      expect(await store().interactions.updateResult(interaction.idDigest, result)).toBe(true);
      expect(await store().interactions.find(interaction.idDigest, NOW)).toEqual({ ...interaction, result });
      expect(await store().interactions.updateResult(uniqueId('missing'), {})).toBe(false);

      expect(await store().interactions.delete(interaction.idDigest)).toBe(true);
      expect(await store().interactions.delete(interaction.idDigest)).toBe(false);
      expect(await store().interactions.find(interaction.idDigest, NOW)).toBeUndefined();
    });
  });

  describe('interactions of one browser', () => {
    it('rebindBrowser moves every live interaction of that browser, in one call, and nothing else', async () => {
      const client = aClient();
      await store().clients.create(client);
      const [oldBrowser, newBrowser, otherBrowser] = [uniqueId('old'), uniqueId('new'), uniqueId('other')];
      const tab1 = anInteraction(client.clientId, { browserDigest: oldBrowser });
      const tab2 = anInteraction(client.clientId, { browserDigest: oldBrowser, result: { sub: 'someone' } });
      const expired = anInteraction(client.clientId, { browserDigest: oldBrowser, expiresAt: NOW });
      const elsewhere = anInteraction(client.clientId, { browserDigest: otherBrowser });
      for (const i of [tab1, tab2, expired, elsewhere]) await store().interactions.create(i);

      expect(await store().interactions.rebindBrowser(oldBrowser, newBrowser, NOW)).toBe(2);
      expect(await store().interactions.find(tab1.idDigest, NOW)).toEqual({ ...tab1, browserDigest: newBrowser });
      expect(await store().interactions.find(tab2.idDigest, NOW)).toEqual({ ...tab2, browserDigest: newBrowser });
      expect((await store().interactions.find(expired.idDigest, NOW - 1))?.browserDigest).toBe(oldBrowser);
      expect((await store().interactions.find(elsewhere.idDigest, NOW))?.browserDigest).toBe(otherBrowser);
      expect(await store().interactions.rebindBrowser(oldBrowser, newBrowser, NOW)).toBe(0);
      expect(await store().interactions.rebindBrowser(uniqueId('unknown'), newBrowser, NOW)).toBe(0);
    });
  });

  describe('consents', () => {
    it('inserts, replaces and deletes the scopes granted by a user to a client', async () => {
      const user = aUser();
      const client = aClient();
      await store().users.create(user);
      await store().clients.create(client);
      expect(await store().consents.find(user.sub, client.clientId)).toBeUndefined();

      const consent = { sub: user.sub, clientId: client.clientId, scopes: ['email', 'openid'], createdAt: NOW, updatedAt: NOW };
      await store().consents.upsert(consent);
      expect(await store().consents.find(user.sub, client.clientId)).toEqual(consent);

      await store().consents.upsert({ ...consent, scopes: ['profile', 'email', 'openid'], createdAt: NOW + 9, updatedAt: NOW + 9 });
      expect(await store().consents.find(user.sub, client.clientId)).toEqual({
        ...consent,
        scopes: ['email', 'openid', 'profile'],
        updatedAt: NOW + 9,
      });

      expect(await store().consents.delete(user.sub, client.clientId)).toBe(true);
      expect(await store().consents.delete(user.sub, client.clientId)).toBe(false);
      expect(await store().consents.find(user.sub, client.clientId)).toBeUndefined();
    });
  });

  describe('signing keys', () => {
    it('creates, lists, moves through states and deletes keys', async () => {
      const key = aKey();
      await store().keys.create(key);
      await expect(store().keys.create(key)).rejects.toBeInstanceOf(StorageConflictError);
      expect(await store().keys.list()).toContainEqual(key);

      expect(await store().keys.setState(key.kid, 'active', NOW + 10)).toBe(true);
      let found = (await store().keys.list()).find((k) => k.kid === key.kid);
      expect(found).toEqual({ ...key, state: 'active', activatedAt: NOW + 10 });

      expect(await store().keys.setState(key.kid, 'retired', NOW + 20)).toBe(true);
      found = (await store().keys.list()).find((k) => k.kid === key.kid);
      expect(found).toEqual({ ...key, state: 'retired', activatedAt: NOW + 10, retiredAt: NOW + 20 });

      expect(await store().keys.setState(uniqueId('missing'), 'active', NOW)).toBe(false);
      expect(await store().keys.delete(key.kid)).toBe(true);
      expect(await store().keys.delete(key.kid)).toBe(false);
      expect((await store().keys.list()).some((k) => k.kid === key.kid)).toBe(false);
    });

    it('lists keys oldest first', async () => {
      const newer = aKey({ createdAt: NOW + 2 });
      const older = aKey({ createdAt: NOW + 1 });
      await store().keys.create(newer);
      await store().keys.create(older);
      const kids = (await store().keys.list()).map((k) => k.kid);
      expect(kids.indexOf(older.kid)).toBeLessThan(kids.indexOf(newer.kid));
    });
  });
}
