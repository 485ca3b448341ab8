import { describe, expect, it } from 'vitest';
import { migrations as postgresMigrations } from '../postgres/migration-provider.js';
import { migrations as sqliteMigrations } from '../sqlite/migration-provider.js';
import { StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aCode, aGrant, anInteraction, aSession, aToken, aUser } from './fixtures.js';

export function lifecycleContract({ backend, store, appliedAtStart }: ContractContext): void {
  describe('migrations and connections', () => {
    it('applies every migration once, in order; a second migrate() applies nothing', async () => {
      const all = Object.keys(store().dialect === 'sqlite' ? sqliteMigrations : postgresMigrations).sort();
      expect(all[0]).toBe('001-initial');
      expect(appliedAtStart()).toEqual(all);
      expect(await store().migrate()).toEqual([]);
    });

    it('keeps data across a new connection to the same database', async () => {
      const client = aClient();
      await store().clients.create(client);
      const reopened = await backend.open();
      try {
        expect(await reopened.migrate()).toEqual([]);
        expect(reopened.dialect).toBe(store().dialect);
        expect(await reopened.clients.find(client.clientId)).toEqual(client);
      } finally {
        await reopened.close();
      }
    });

    it('close() may be called twice', async () => {
      const other = await backend.open();
      await other.close();
      await expect(other.close()).resolves.toBeUndefined();
    });
  });

  describe('cascading deletes', () => {
    it('clients.delete removes the grants, codes, tokens, consents and interactions of that client only', async () => {
      const s = store();
      const user = aUser();
      const [client, other] = [aClient(), aClient()];
      await s.users.create(user);
      await s.clients.create(client);
      await s.clients.create(other);
      const grant = aGrant(client.clientId, user.sub);
      const otherGrant = aGrant(other.clientId, user.sub);
      const appGrant = aGrant(client.clientId, null);
      for (const g of [grant, otherGrant, appGrant]) await s.grants.create(g);
      const code = aCode(grant);
      const otherCode = aCode(otherGrant);
      await s.codes.create(code);
      await s.codes.create(otherCode);
      const token = aToken(grant);
      const appToken = aToken(appGrant, { kind: 'access_token', sub: null });
      const otherToken = aToken(otherGrant);
      for (const t of [token, appToken, otherToken]) await s.tokens.create(t);
      await s.consents.upsert({ sub: user.sub, clientId: client.clientId, scopes: ['openid'], createdAt: 1, updatedAt: 1 });
      await s.consents.upsert({ sub: user.sub, clientId: other.clientId, scopes: ['openid'], createdAt: 1, updatedAt: 1 });
      const interaction = anInteraction(client.clientId);
      const otherInteraction = anInteraction(other.clientId);
      await s.interactions.create(interaction);
      await s.interactions.create(otherInteraction);

      expect(await s.clients.delete(client.clientId)).toBe(true);
      expect(await s.clients.delete(client.clientId)).toBe(false);

      expect(await s.clients.find(client.clientId)).toBeUndefined();
      expect(await s.grants.find(grant.grantId)).toBeUndefined();
      expect(await s.grants.find(appGrant.grantId)).toBeUndefined();
      expect(await s.codes.consume(code.codeDigest, { clientId: code.clientId }, 1)).toBeUndefined();
      expect(await s.tokens.find(token.digest)).toBeUndefined();
      expect(await s.tokens.find(appToken.digest)).toBeUndefined();
      expect(await s.consents.find(user.sub, client.clientId)).toBeUndefined();
      expect(await s.interactions.find(interaction.idDigest, 0)).toBeUndefined();

      expect(await s.users.findBySub(user.sub)).toBeDefined();
      expect(await s.grants.find(otherGrant.grantId)).toBeDefined();
      expect((await s.codes.consume(otherCode.codeDigest, { clientId: otherCode.clientId }, 1))?.firstUse).toBe(true);
      expect(await s.tokens.find(otherToken.digest)).toBeDefined();
      expect(await s.consents.find(user.sub, other.clientId)).toBeDefined();
      expect(await s.interactions.find(otherInteraction.idDigest, 0)).toBeDefined();
    });

    it('users.delete removes the sessions, grants, codes, tokens, consents and interactions of that user only', async () => {
      const s = store();
      const [user, other] = [aUser(), aUser()];
      const client = aClient();
      await s.users.create(user);
      await s.users.create(other);
      await s.clients.create(client);
      const session = aSession(user.sub);
      const otherSession = aSession(other.sub);
      await s.sessions.create(session);
      await s.sessions.create(otherSession);
      const grant = aGrant(client.clientId, user.sub);
      const otherGrant = aGrant(client.clientId, other.sub);
      await s.grants.create(grant);
      await s.grants.create(otherGrant);
      const code = aCode(grant);
      await s.codes.create(code);
      const token = aToken(grant);
      const grantlessToken = aToken(grant, { grantId: null, kind: 'access_token' });
      const otherToken = aToken(otherGrant);
      for (const t of [token, grantlessToken, otherToken]) await s.tokens.create(t);
      await s.consents.upsert({ sub: user.sub, clientId: client.clientId, scopes: ['openid'], createdAt: 1, updatedAt: 1 });
      await s.consents.upsert({ sub: other.sub, clientId: client.clientId, scopes: ['openid'], createdAt: 1, updatedAt: 1 });
      const interaction = anInteraction(client.clientId);
      const anonymousInteraction = anInteraction(client.clientId);
      await s.interactions.create(interaction);
      await s.interactions.create(anonymousInteraction);
      await s.interactions.updateResult(interaction.idDigest, { sub: user.sub, sid: session.sid, authTime: 5 });

      expect(await s.users.delete(user.sub)).toBe(true);
      expect(await s.users.delete(user.sub)).toBe(false);

      expect(await s.users.findBySub(user.sub)).toBeUndefined();
      expect(await s.users.findByEmail(user.email)).toBeUndefined();
      expect(await s.sessions.find(session.idDigest, 0)).toBeUndefined();
      expect(await s.grants.find(grant.grantId)).toBeUndefined();
      expect(await s.grants.listBySub(user.sub)).toEqual([]);
      expect(await s.codes.consume(code.codeDigest, { clientId: code.clientId }, 1)).toBeUndefined();
      expect(await s.tokens.find(token.digest)).toBeUndefined();
      expect(await s.tokens.find(grantlessToken.digest)).toBeUndefined();
      expect(await s.consents.find(user.sub, client.clientId)).toBeUndefined();
      expect(await s.interactions.find(interaction.idDigest, 0)).toBeUndefined();

      expect(await s.clients.find(client.clientId)).toBeDefined();
      expect(await s.interactions.find(anonymousInteraction.idDigest, 0)).toBeDefined();
      expect(await s.sessions.find(otherSession.idDigest, 0)).toBeDefined();
      expect(await s.grants.find(otherGrant.grantId)).toBeDefined();
      expect(await s.tokens.find(otherToken.digest)).toBeDefined();
      expect(await s.consents.find(other.sub, client.clientId)).toBeDefined();
    });
  });

  describe('referential integrity', () => {
    it('rejects a token for an unknown client, and not as a conflict', async () => {
      const grantless = aToken(aGrant('no-such-client', null), { grantId: null, kind: 'access_token' });
      const error = await store().tokens.create(grantless).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(StorageConflictError);
      expect(await store().tokens.find(grantless.digest)).toBeUndefined();
    });
  });
}
