import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchesClientSecret } from '../core/client-auth/client-secret.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { ensureBuiltins } from './builtins.js';
import { AdminInputError, checkClientInfoUri, createClient, deleteClient, MAX_SECRET_GRACE, rotateClientSecret, updateClient } from './clients.js';

let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-clients-update-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const actor = { sub: 'op', clientId: 'console', address: '192.0.2.1' };

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminInputError);
  return (err as AdminInputError).field;
}

describe('checkClientInfoUri (RFC 7591 §2 URLs)', () => {
  it('takes https, and http only on loopback', () => {
    expect(checkClientInfoUri('logo_uri', ' https://a.example/logo.png ')).toBe('https://a.example/logo.png');
    expect(checkClientInfoUri('tos_uri', 'http://localhost:8080/tos')).toBe('http://localhost:8080/tos');
    expect(checkClientInfoUri('tos_uri', 'http://127.0.0.1/tos')).toBe('http://127.0.0.1/tos');
    for (const bad of ['http://a.example/x', 'javascript:alert(1)', 'data:image/png;base64,AA', 'https://user:pw@a.example/', 'not a url']) {
      expect(() => checkClientInfoUri('client_uri', bad), bad).toThrow(AdminInputError);
    }
  });
});

describe('updateClient', () => {
  it('changes what the patch gives, keeps the rest, and records who changed what', async () => {
    const { client } = await createClient(store, { name: 'Web', kind: 'web', redirectUris: ['https://a.example/cb'] }, 100);
    const updated = await updateClient(store, client.clientId, { redirect_uris: ['https://b.example/cb'], policy_uri: 'https://b.example/privacy' }, actor, 200);
    expect(updated.metadata).toMatchObject({ client_name: 'Web', redirect_uris: ['https://b.example/cb'], policy_uri: 'https://b.example/privacy', grant_types: client.metadata.grant_types });
    expect((await store.clients.find(client.clientId))?.metadata).toEqual(updated.metadata);
    const events = await store.events.page({ clientId: client.clientId }, { limit: 5 });
    expect(events.items[0]).toMatchObject({ type: 'client.updated', actorSub: 'op', actorClientId: 'console', address: '192.0.2.1', at: 200, data: { fields: ['policy_uri', 'redirect_uris'] } });
  });

  it('checks the result like a creation and writes nothing when it fails', async () => {
    const { client } = await createClient(store, { name: 'Web', kind: 'web', redirectUris: ['https://a.example/cb'] });
    expect(await fieldOf(updateClient(store, client.clientId, { redirect_uris: ['http://a.example/cb'] }))).toBe('redirect_uris');
    expect(await fieldOf(updateClient(store, client.clientId, { client_name: ' ' }))).toBe('client_name');
    expect(await fieldOf(updateClient(store, client.clientId, { logo_uri: 'http://a.example/logo.png' }))).toBe('logo_uri');
    expect(await fieldOf(updateClient(store, client.clientId, { grant_types: ['client_credentials', 'authorization_code'], response_types: ['token'] }))).toBe('response_types');
    expect(await fieldOf(updateClient(store, client.clientId, { scope: 'bad"scope' }))).toBe('scope');
    expect(await store.clients.find(client.clientId)).toEqual(client);
  });

  it('the built-in console client is neither changed nor deleted', async () => {
    await ensureBuiltins(store, 'https://id.example');
    expect(await fieldOf(updateClient(store, 'latch-console', { client_name: 'x' }))).toBe('client_id');
    expect(await fieldOf(deleteClient(store, 'latch-console'))).toBe('client_id');
    expect(await store.clients.find('latch-console')).toBeDefined();
  });
});

describe('rotateClientSecret', () => {
  it('without grace only the new secret matches; with grace the old one until the grace ends', async () => {
    const { client, clientSecret: first } = await createClient(store, { name: 'Job', kind: 'm2m' });
    const { clientSecret: second, client: afterFirst } = await rotateClientSecret(store, client.clientId, {}, actor, 1000);
    expect(afterFirst.previousSecret).toBeNull();
    let stored = (await store.clients.find(client.clientId))!;
    expect(matchesClientSecret(second, stored, 1000)).toBe(true);
    expect(matchesClientSecret(first!, stored, 1000)).toBe(false);

    const { clientSecret: third } = await rotateClientSecret(store, client.clientId, { graceSeconds: 60 }, actor, 2000);
    stored = (await store.clients.find(client.clientId))!;
    expect(stored.previousSecret?.expiresAt).toBe(2060);
    expect(matchesClientSecret(third, stored, 2000)).toBe(true);
    expect(matchesClientSecret(second, stored, 2059)).toBe(true);
    expect(matchesClientSecret(second, stored, 2060)).toBe(false);
    const events = await store.events.page({ type: 'client.secret_rotated' }, { limit: 5 });
    expect(events.items.map((e) => e.data)).toEqual([{ grace_seconds: 60 }, { grace_seconds: 0 }]);
    expect(JSON.stringify(events.items)).not.toContain(third);
  });

  it('refuses a bad grace and a client without a secret, changing nothing', async () => {
    const { client } = await createClient(store, { name: 'Job', kind: 'm2m' });
    for (const graceSeconds of [-1, 1.5, MAX_SECRET_GRACE + 1]) {
      expect(await fieldOf(rotateClientSecret(store, client.clientId, { graceSeconds }))).toBe('grace_seconds');
    }
    expect(await store.clients.find(client.clientId)).toEqual(client);
    const { client: spa } = await createClient(store, { name: 'SPA', kind: 'spa', redirectUris: ['https://s.example/cb'] });
    expect(await fieldOf(rotateClientSecret(store, spa.clientId))).toBe('token_endpoint_auth_method');
  });
});
