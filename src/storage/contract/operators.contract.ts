import { describe, expect, it } from 'vitest';
import { InvalidCursorError, StorageConflictError } from '../types.js';
import { anApi } from './apis.contract.js';
import type { ContractContext } from './contract.js';
import { aClient, aGrant, aSession, aToken, aUser, NOW, uniqueId } from './fixtures.js';
import { allPages, foreignCursors } from './pages.contract.js';

/** What operators change: users' email, roles and disabling; clients' previous secret; APIs; sessions by person. */
export function operatorsContract({ store }: ContractContext): void {
  describe('users (operators)', () => {
    it('keeps roles sorted and without repeats, and the time a user was disabled', async () => {
      const user = aUser({ roles: ['support', 'admin', 'support'] });
      await store().users.create(user);
      expect((await store().users.findBySub(user.sub))?.roles).toEqual(['admin', 'support']);
      expect(await store().users.update(user.sub, { roles: ['zeta', 'alpha'], disabledAt: NOW + 5, updatedAt: NOW + 5 })).toBe(true);
      expect(await store().users.findBySub(user.sub)).toEqual({ ...user, roles: ['alpha', 'zeta'], disabledAt: NOW + 5, updatedAt: NOW + 5 });
      expect(await store().users.update(user.sub, { disabledAt: null, roles: [], updatedAt: NOW + 6 })).toBe(true);
      const enabled = await store().users.findBySub(user.sub);
      expect(enabled?.disabledAt).toBeNull();
      expect(enabled?.roles).toEqual([]);
      expect(await store().users.update(uniqueId('missing'), { roles: ['admin'], updatedAt: NOW })).toBe(false);
    });

    it('changes the email (stored lower-case); an email of another user conflicts and changes nothing', async () => {
      const user = aUser();
      const other = aUser();
      await store().users.create(user);
      await store().users.create(other);
      const email = `${uniqueId('new')}@Example.ORG`;
      expect(await store().users.update(user.sub, { email, updatedAt: NOW + 1 })).toBe(true);
      expect((await store().users.findByEmail(email))?.sub).toBe(user.sub);
      expect((await store().users.findBySub(user.sub))?.email).toBe(email.toLowerCase());
      expect(await store().users.findByEmail(user.email)).toBeUndefined();

      await expect(store().users.update(user.sub, { email: other.email.toUpperCase(), roles: ['admin'], updatedAt: NOW + 2 })).rejects.toBeInstanceOf(
        StorageConflictError,
      );
      expect(await store().users.findBySub(user.sub)).toEqual({ ...user, email: email.toLowerCase(), updatedAt: NOW + 1 });
      expect(await store().users.findBySub(other.sub)).toEqual(other);
      // Its own email again is no conflict.
      expect(await store().users.update(user.sub, { email: email.toUpperCase(), updatedAt: NOW + 3 })).toBe(true);
    });

    it('counts the users with a role who are not disabled, by exact role name', async () => {
      const role = uniqueId('role');
      const users = [
        aUser({ roles: [role] }),
        aUser({ roles: ['other', role] }),
        aUser({ roles: [role], disabledAt: NOW }),
        aUser({ roles: [`${role}x`, role.slice(0, -1)] }),
        aUser({ roles: [] }),
      ];
      for (const user of users) await store().users.create(user);
      expect(await store().users.countWithRole(role)).toBe(2);
      await store().users.update(users[0]!.sub, { disabledAt: NOW + 1, updatedAt: NOW + 1 });
      expect(await store().users.countWithRole(role)).toBe(1);
      await store().users.update(users[2]!.sub, { disabledAt: null, updatedAt: NOW + 2 });
      await store().users.update(users[4]!.sub, { roles: [role], updatedAt: NOW + 2 });
      expect(await store().users.countWithRole(role)).toBe(3);
      expect(await store().users.countWithRole(uniqueId('nobody'))).toBe(0);
    });
  });

  describe('clients (operators)', () => {
    it("keeps a rotated-out secret's digest until its expiry, and forgets it when told", async () => {
      const client = aClient();
      await store().clients.create(client);
      expect((await store().clients.find(client.clientId))?.previousSecret).toBeNull();
      const previousSecret = { digest: client.clientSecretDigest!, expiresAt: NOW + 300 };
      expect(await store().clients.update(client.clientId, { clientSecretDigest: 'bmV3LXNlY3JldA', previousSecret })).toBe(true);
      expect(await store().clients.find(client.clientId)).toEqual({ ...client, clientSecretDigest: 'bmV3LXNlY3JldA', previousSecret });
      expect((await store().clients.page({ limit: 1, q: client.clientId })).items).toEqual([{ ...client, clientSecretDigest: 'bmV3LXNlY3JldA', previousSecret }]);
      expect(await store().clients.update(client.clientId, { previousSecret: null })).toBe(true);
      expect((await store().clients.find(client.clientId))?.previousSecret).toBeNull();
      expect((await store().clients.find(client.clientId))?.clientSecretDigest).toBe('bmV3LXNlY3JldA');

      const rotated = aClient({ previousSecret: { digest: 'b2xk', expiresAt: NOW + 9 } });
      await store().clients.create(rotated);
      expect(await store().clients.find(rotated.clientId)).toEqual(rotated);
      expect(await store().clients.update(uniqueId('missing'), { previousSecret: null })).toBe(false);
    });
  });

  describe('apis (operators)', () => {
    it('updates what is given, scope descriptions included, and nothing else', async () => {
      const api = anApi();
      const other = anApi();
      await store().apis.create(api);
      await store().apis.create(other);
      expect(await store().apis.find(api.identifier)).toEqual(api);
      const patch = { name: 'Albums', scopes: ['read:albums'], scopeDescriptions: { 'read:albums': 'See your albums' }, accessTokenTtl: 120 };
      expect(await store().apis.update(api.identifier, patch)).toBe(true);
      expect(await store().apis.find(api.identifier)).toEqual({ ...api, ...patch });
      expect(await store().apis.update(api.identifier, { tokenFormat: 'opaque', signingAlg: 'RS256', introspectionClients: ['rs-1'] })).toBe(true);
      expect(await store().apis.find(api.identifier)).toEqual({ ...api, ...patch, tokenFormat: 'opaque', signingAlg: 'RS256', introspectionClients: ['rs-1'] });
      expect(await store().apis.update(api.identifier, {})).toBe(true);
      expect(await store().apis.find(other.identifier)).toEqual(other);
      expect(await store().apis.update(uniqueId('https://missing.example/'), { name: 'x' })).toBe(false);
      expect(await store().apis.update(uniqueId('https://missing.example/'), {})).toBe(false);
    });
  });

  describe('sessions (operators)', () => {
    it('finds a live session by sid, lists a user\'s live sessions newest first, and ends them all', async () => {
      const user = aUser();
      const other = aUser();
      await store().users.create(user);
      await store().users.create(other);
      const older = aSession(user.sub, { createdAt: NOW - 10 });
      const newer = aSession(user.sub, { createdAt: NOW + 10 });
      const expired = aSession(user.sub, { createdAt: NOW + 20, expiresAt: NOW });
      const theirs = aSession(other.sub);
      for (const session of [older, newer, expired, theirs]) await store().sessions.create(session);

      expect(await store().sessions.findBySid(newer.sid, NOW)).toEqual(newer);
      expect(await store().sessions.findBySid(expired.sid, NOW)).toBeUndefined();
      expect(await store().sessions.findBySid(uniqueId('sid'), NOW)).toBeUndefined();
      expect(await store().sessions.listBySub(user.sub, NOW)).toEqual([newer, older]);
      expect(await store().sessions.listBySub(uniqueId('nobody'), NOW)).toEqual([]);

      expect(await store().sessions.deleteBySub(user.sub)).toBe(3);
      expect(await store().sessions.listBySub(user.sub, NOW - 100)).toEqual([]);
      expect(await store().sessions.find(theirs.idDigest, NOW)).toEqual(theirs);
      expect(await store().sessions.deleteBySub(user.sub)).toBe(0);
    });
  });

  describe('grants (operators)', () => {
    it('pages grants newest first, by user, by client or both, revoked ones included', async () => {
      const user = aUser();
      const other = aUser();
      const client = aClient();
      const otherClient = aClient();
      for (const u of [user, other]) await store().users.create(u);
      for (const c of [client, otherClient]) await store().clients.create(c);
      const grants = [
        aGrant(client.clientId, user.sub, { createdAt: NOW + 1 }),
        aGrant(client.clientId, user.sub, { createdAt: NOW + 3, revokedAt: NOW + 4 }),
        aGrant(otherClient.clientId, user.sub, { createdAt: NOW + 2 }),
        aGrant(client.clientId, other.sub, { createdAt: NOW + 5 }),
        aGrant(client.clientId, user.sub, { createdAt: NOW + 3 }),
      ];
      for (const grant of grants) await store().grants.create(grant);
      const newestFirst = (list: typeof grants) => [...list].sort((a, b) => b.createdAt - a.createdAt || (a.grantId < b.grantId ? 1 : -1));

      const byUser = await allPages((query) => store().grants.page({ sub: user.sub }, query), { limit: 2 });
      expect(byUser.pages).toBe(2);
      expect(byUser.items).toEqual(newestFirst(grants.filter((g) => g.sub === user.sub)));
      const byClient = await allPages((query) => store().grants.page({ clientId: client.clientId }, query), { limit: 3 });
      expect(byClient.items).toEqual(newestFirst(grants.filter((g) => g.clientId === client.clientId)));
      const both = await store().grants.page({ sub: user.sub, clientId: otherClient.clientId }, { limit: 10 });
      expect(both).toEqual({ items: [grants[2]], nextCursor: null });
      const everyone = await store().grants.page({}, { limit: 1000 });
      const ours = everyone.items.filter((g) => grants.some((m) => m.grantId === g.grantId));
      expect(ours).toEqual(newestFirst(grants));
      for (const cursor of foreignCursors('events')) {
        await expect(store().grants.page({ sub: user.sub }, { limit: 2, cursor }), cursor).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });

    it('revokes every live grant of a user and their tokens, and nothing of anyone else', async () => {
      const user = aUser();
      const other = aUser();
      const client = aClient();
      for (const u of [user, other]) await store().users.create(u);
      await store().clients.create(client);
      const live = [aGrant(client.clientId, user.sub), aGrant(client.clientId, user.sub)];
      const revoked = aGrant(client.clientId, user.sub, { revokedAt: NOW - 5 });
      const theirs = aGrant(client.clientId, other.sub);
      for (const grant of [...live, revoked, theirs]) await store().grants.create(grant);
      const tokens = [aToken(live[0]!), aToken(live[1]!, { kind: 'access_token' }), aToken(theirs)];
      const alreadyRevoked = aToken(live[0]!, { revokedAt: NOW - 1 });
      for (const token of [...tokens, alreadyRevoked]) await store().tokens.create(token);

      expect(await store().grants.revokeBySub(user.sub, NOW + 7)).toBe(2);
      for (const grant of live) expect((await store().grants.find(grant.grantId))?.revokedAt).toBe(NOW + 7);
      expect((await store().grants.find(revoked.grantId))?.revokedAt).toBe(NOW - 5);
      expect((await store().grants.find(theirs.grantId))?.revokedAt).toBeNull();
      expect((await store().tokens.find(tokens[0]!.digest))?.revokedAt).toBe(NOW + 7);
      expect((await store().tokens.find(tokens[1]!.digest))?.revokedAt).toBe(NOW + 7);
      expect((await store().tokens.find(alreadyRevoked.digest))?.revokedAt).toBe(NOW - 1);
      expect((await store().tokens.find(tokens[2]!.digest))?.revokedAt).toBeNull();
      expect(await store().grants.revokeBySub(user.sub, NOW + 8)).toBe(0);
      expect(await store().grants.revokeBySub(uniqueId('nobody'), NOW)).toBe(0);
    });
  });
}
