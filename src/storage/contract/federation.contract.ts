import { describe, expect, it } from 'vitest';
import { StorageConflictError, type ConnectionRecord, type FederationStateRecord } from '../types.js';
import type { ContractContext } from './contract.js';
import { aUser, NOW, uniqueId } from './fixtures.js';

function aConnection(overrides: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    id: uniqueId('conn'),
    name: 'Acme "ID" <Ünïcode>',
    type: 'oidc',
    issuer: 'https://id.acme.example',
    authorizationEndpoint: null,
    tokenEndpoint: null,
    userinfoEndpoint: null,
    clientId: 'latch-at-acme',
    clientSecretEncrypted: 'eyJhbGciOiJkaXIifQ..sealed',
    scopes: ['openid', 'email', 'profile'],
    claimMapping: { email: 'mail' },
    enabled: true,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

function aState(connectionId: string, overrides: Partial<FederationStateRecord> = {}): FederationStateRecord {
  return {
    digest: uniqueId('state'),
    kind: 'start',
    connectionId,
    interactionDigest: uniqueId('interaction'),
    browserDigest: uniqueId('browser'),
    upstreamSub: null,
    email: null,
    sub: null,
    createdAt: NOW,
    expiresAt: NOW + 600,
    ...overrides,
  };
}

/** Federation (issue 13): connections, the identities linked through them, and sign-ins at an upstream in progress. */
export function federationContract({ store }: ContractContext): void {
  describe('federation', () => {
    it('keeps connections, oldest first, changes them and refuses a second of the same id', async () => {
      const oidc = aConnection();
      const oauth2 = aConnection({
        type: 'oauth2',
        issuer: null,
        authorizationEndpoint: 'https://gh.example/login/oauth/authorize',
        tokenEndpoint: 'https://gh.example/login/oauth/access_token',
        userinfoEndpoint: 'https://api.gh.example/user',
        clientSecretEncrypted: null,
        scopes: [],
        claimMapping: {},
        enabled: false,
        createdAt: NOW + 1,
        updatedAt: NOW + 1,
      });
      await store().connections.create(oidc);
      await store().connections.create(oauth2);
      await expect(store().connections.create(oidc)).rejects.toBeInstanceOf(StorageConflictError);
      expect(await store().connections.find(oidc.id)).toEqual(oidc);
      expect(await store().connections.find(oauth2.id)).toEqual(oauth2);
      const listed = (await store().connections.list()).filter((c) => c.id === oidc.id || c.id === oauth2.id);
      expect(listed.map((c) => c.id)).toEqual([oidc.id, oauth2.id]);

      expect(await store().connections.update(oauth2.id, { enabled: true, name: 'GitHub', scopes: ['read:user'], updatedAt: NOW + 5 })).toBe(true);
      expect(await store().connections.find(oauth2.id)).toEqual({ ...oauth2, enabled: true, name: 'GitHub', scopes: ['read:user'], updatedAt: NOW + 5 });
      expect(await store().connections.update('no-such-connection', { enabled: true, updatedAt: NOW })).toBe(false);
      expect(await store().connections.find('no-such-connection')).toBeUndefined();
    });

    it('links identities once per upstream subject, lists them per user, and removes them with the connection or the user', async () => {
      const connection = aConnection();
      await store().connections.create(connection);
      const user = aUser();
      const other = aUser();
      await store().users.create(user);
      await store().users.create(other);
      const identity = { connectionId: connection.id, upstreamSub: 'upstream-1', sub: user.sub, email: user.email, createdAt: NOW, lastUsedAt: null };
      await store().identities.create(identity);
      await expect(store().identities.create({ ...identity, sub: other.sub })).rejects.toBeInstanceOf(StorageConflictError);
      await store().identities.create({ ...identity, upstreamSub: 'upstream-2', createdAt: NOW + 1 });
      await store().identities.create({ ...identity, upstreamSub: 'upstream-3', sub: other.sub });
      expect(await store().identities.find(connection.id, 'upstream-1')).toEqual(identity);
      expect((await store().identities.listBySub(user.sub)).map((i) => i.upstreamSub)).toEqual(['upstream-1', 'upstream-2']);

      expect(await store().identities.touch(connection.id, 'upstream-1', NOW + 9)).toBe(true);
      expect((await store().identities.find(connection.id, 'upstream-1'))?.lastUsedAt).toBe(NOW + 9);
      expect(await store().identities.delete(connection.id, 'upstream-2')).toBe(true);
      expect(await store().identities.delete(connection.id, 'upstream-2')).toBe(false);

      expect(await store().users.delete(other.sub)).toBe(true);
      expect(await store().identities.find(connection.id, 'upstream-3')).toBeUndefined();
      expect(await store().connections.delete(connection.id)).toBe(true);
      expect(await store().identities.listBySub(user.sub)).toEqual([]);
      expect(await store().connections.delete(connection.id)).toBe(false);
    });

    it('gives a sign-in state to exactly one of concurrent consumers, never once expired, and purges expired ones', async () => {
      const connection = aConnection();
      await store().connections.create(connection);
      const state = aState(connection.id);
      await store().federationStates.create(state);
      expect(await store().federationStates.find(state.digest, NOW)).toEqual(state);
      const results = await Promise.all(Array.from({ length: 5 }, () => store().federationStates.consume(state.digest, NOW)));
      expect(results.filter(Boolean)).toEqual([state]);
      expect(await store().federationStates.find(state.digest, NOW)).toBeUndefined();

      const link = aState(connection.id, { kind: 'link', upstreamSub: 'u', email: 'a@example.com', sub: 'someone' });
      await store().federationStates.create(link);
      expect(await store().federationStates.consume(link.digest, link.expiresAt)).toBeUndefined();
      const old = aState(connection.id, { expiresAt: NOW + 10 });
      const live = aState(connection.id, { expiresAt: NOW + 1000 });
      await store().federationStates.create(old);
      await store().federationStates.create(live);
      await store().purgeExpired(NOW + 10);
      expect(await store().federationStates.find(old.digest, NOW)).toBeUndefined();
      expect(await store().federationStates.find(live.digest, NOW)).toEqual(live);
    });
  });
}
