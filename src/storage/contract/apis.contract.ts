import { describe, expect, it } from 'vitest';
import type { ApiRecord } from '../types.js';
import { StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aGrant, aToken, aUser, NOW, uniqueId } from './fixtures.js';

export function anApi(overrides: Partial<ApiRecord> = {}): ApiRecord {
  return {
    identifier: `https://${uniqueId('api')}.example/v1`,
    name: 'Photos',
    scopes: ['read:photos', 'write:photos'],
    tokenFormat: 'jwt',
    accessTokenTtl: 600,
    signingAlg: 'ES256',
    scopeDescriptions: { 'read:photos': 'See your photos' },
    introspectionClients: [],
    createdAt: NOW,
    ...overrides,
  };
}

export function apisContract({ store }: ContractContext): void {
  describe('apis', () => {
    it('creates, finds and lists APIs; a second create with the same identifier conflicts', async () => {
      const api = anApi();
      const opaque = anApi({ tokenFormat: 'opaque', scopes: [], accessTokenTtl: 30, signingAlg: 'RS256', introspectionClients: ['rs-1', 'rs-2'], createdAt: NOW + 1 });
      await store().apis.create(api);
      await store().apis.create(opaque);
      expect(await store().apis.find(api.identifier)).toEqual(api);
      expect(await store().apis.find(opaque.identifier)).toEqual(opaque);
      expect(await store().apis.find(uniqueId('https://missing.example/'))).toBeUndefined();
      const listed = await store().apis.list();
      expect(listed.filter((a) => [api.identifier, opaque.identifier].includes(a.identifier))).toEqual([api, opaque]);
      await expect(store().apis.create({ ...api, name: 'Other' })).rejects.toBeInstanceOf(StorageConflictError);
      expect((await store().apis.find(api.identifier))?.name).toBe('Photos');
    });

    it('replaces the clients allowed to introspect an API, and only that API\'s', async () => {
      const api = anApi({ introspectionClients: ['rs-1'] });
      const other = anApi({ introspectionClients: ['rs-9'] });
      await store().apis.create(api);
      await store().apis.create(other);
      expect(await store().apis.setIntrospectionClients(api.identifier, ['rs-2', 'rs-3'])).toBe(true);
      expect(await store().apis.find(api.identifier)).toEqual({ ...api, introspectionClients: ['rs-2', 'rs-3'] });
      expect(await store().apis.setIntrospectionClients(api.identifier, [])).toBe(true);
      expect((await store().apis.find(api.identifier))?.introspectionClients).toEqual([]);
      expect(await store().apis.find(other.identifier)).toEqual(other);
      expect(await store().apis.setIntrospectionClients(uniqueId('https://missing.example/'), ['rs-1'])).toBe(false);
    });

    it('deleting an API revokes the tokens issued for it, and only those', async () => {
      const api = anApi();
      await store().apis.create(api);
      const user = aUser();
      const client = aClient();
      await store().users.create(user);
      await store().clients.create(client);
      const grant = aGrant(client.clientId, user.sub);
      await store().grants.create(grant);
      const forApi = aToken(grant, { kind: 'access_token', audience: api.identifier });
      const alreadyRevoked = aToken(grant, { kind: 'access_token', audience: api.identifier, revokedAt: NOW + 1 });
      const other = aToken(grant, { kind: 'access_token', audience: 'https://other.example' });
      const none = aToken(grant);
      for (const t of [forApi, alreadyRevoked, other, none]) await store().tokens.create(t);

      expect(await store().apis.delete(api.identifier, NOW + 9)).toBe(true);
      expect(await store().apis.find(api.identifier)).toBeUndefined();
      expect((await store().tokens.find(forApi.digest))?.revokedAt).toBe(NOW + 9);
      expect((await store().tokens.find(alreadyRevoked.digest))?.revokedAt).toBe(NOW + 1);
      expect((await store().tokens.find(other.digest))?.revokedAt).toBeNull();
      expect((await store().tokens.find(none.digest))?.revokedAt).toBeNull();
      expect(await store().apis.delete(api.identifier, NOW + 10)).toBe(false);
    });
  });
}
