import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aClient } from '../contract/fixtures.js';
import { openMigratedStore, type OpenedStore } from '../open.js';
import type { ClientsRepository, RateLimitsRepository } from '../types.js';
import { cachedClients, cachedRateLimits, ChangeWatch } from './cached-lookups.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('cached client, API and rate-limit lookups (SQLite)', () => {
  let dir = '';
  let server: OpenedStore;
  /** Another connection to the same file, as the CLI would be. */
  let cli: OpenedStore;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-cache-'));
    server = await openMigratedStore({ dataDir: dir });
    cli = await openMigratedStore({ dataDir: dir });
  });

  afterEach(async () => {
    await cli.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sees another connection's changes from the next turn on", async () => {
    const client = aClient();
    expect(await server.clients.find(client.clientId)).toBeUndefined();
    await cli.clients.create(client);
    await nextTurn();
    expect((await server.clients.find(client.clientId))?.clientId).toBe(client.clientId);
    await cli.clients.update(client.clientId, { clientSecretDigest: 'rotated' });
    await nextTurn();
    expect((await server.clients.find(client.clientId))?.clientSecretDigest).toBe('rotated');
    await cli.clients.delete(client.clientId);
    await nextTurn();
    expect(await server.clients.find(client.clientId)).toBeUndefined();
  });

  it('sees its own changes at once', async () => {
    const client = aClient();
    await server.clients.create(client);
    expect((await server.clients.find(client.clientId))?.clientSecretDigest).toBe(client.clientSecretDigest);
    await server.clients.update(client.clientId, { clientSecretDigest: 'new' });
    expect((await server.clients.find(client.clientId))?.clientSecretDigest).toBe('new');
    await server.clients.delete(client.clientId);
    expect(await server.clients.find(client.clientId)).toBeUndefined();
  });

  it('sees its own API and client updates at once, and those of another connection from the next turn on', async () => {
    const api = { identifier: 'https://api.update.example', name: 'x', scopes: ['read'], tokenFormat: 'opaque' as const, accessTokenTtl: 60, signingAlg: 'RS256', scopeDescriptions: {}, introspectionClients: [], createdAt: 1 };
    await server.apis.create(api);
    expect((await server.apis.find(api.identifier))?.name).toBe('x');
    await server.apis.update(api.identifier, { name: 'y', scopeDescriptions: { read: 'Read' } });
    expect(await server.apis.find(api.identifier)).toEqual({ ...api, name: 'y', scopeDescriptions: { read: 'Read' } });
    await cli.apis.update(api.identifier, { scopes: ['read', 'write'] });
    await nextTurn();
    expect((await server.apis.find(api.identifier))?.scopes).toEqual(['read', 'write']);

    const client = aClient();
    await server.clients.create(client);
    expect((await server.clients.find(client.clientId))?.previousSecret).toBeNull();
    const previousSecret = { digest: 'old', expiresAt: 99 };
    await server.clients.update(client.clientId, { clientSecretDigest: 'new', previousSecret });
    expect(await server.clients.find(client.clientId)).toEqual({ ...client, clientSecretDigest: 'new', previousSecret });
    expect((await server.clients.page({ limit: 1, q: client.clientId })).items).toEqual([{ ...client, clientSecretDigest: 'new', previousSecret }]);
  });

  it('sees an API deleted by another connection', async () => {
    const api = { identifier: 'https://api.cache.example', name: 'x', scopes: ['read'], tokenFormat: 'opaque' as const, accessTokenTtl: 60, signingAlg: 'RS256', scopeDescriptions: {}, introspectionClients: [], createdAt: 1 };
    await server.apis.create(api);
    expect((await server.apis.find(api.identifier))?.scopes).toEqual(['read']);
    await cli.apis.delete(api.identifier, 2);
    await nextTurn();
    expect(await server.apis.find(api.identifier)).toBeUndefined();
  });

  it('shares frozen records', async () => {
    const client = aClient();
    await server.clients.create(client);
    const found = await server.clients.find(client.clientId);
    expect(Object.isFrozen(found)).toBe(true);
    expect(Object.isFrozen(found?.metadata.redirect_uris)).toBe(true);
  });

  // Rate-limit counts (cachedRateLimits).
  const window = 900;
  const now = 1_800_000_100;

  /** The server's real repository, with its `counts` reads counted, behind the cache. */
  function countedCache(watch: ChangeWatch) {
    let reads = 0;
    const inner: RateLimitsRepository = {
      ...server.rateLimits,
      counts: (keys, w, at) => {
        reads += keys.length;
        return server.rateLimits.counts(keys, w, at);
      },
    };
    return { repo: cachedRateLimits(inner, watch), reads: () => reads };
  }

  it('answers a second read of the same counts without the database, and forgets a key it counts a hit on', async () => {
    const { repo, reads } = countedCache(new ChangeWatch(() => 1));
    expect((await repo.counts(['a', 'b'], window, now)).get('a')).toEqual({ current: 0, previous: 0 });
    expect((await repo.counts(['a', 'b'], window, now)).get('b')).toEqual({ current: 0, previous: 0 });
    expect(reads()).toBe(2);
    await repo.hit('a', window, now);
    expect((await repo.counts(['a', 'b'], window, now)).get('a')).toEqual({ current: 1, previous: 0 });
    expect(reads()).toBe(3);
    await repo.reset('a');
    expect((await repo.counts(['a'], window, now)).get('a')).toEqual({ current: 0, previous: 0 });
    // The next window is read anew.
    expect((await repo.counts(['b'], window, now + window)).get('b')).toEqual({ current: 0, previous: 0 });
    expect(reads()).toBe(5);
  });

  it("sees another connection's hits from the next turn on", async () => {
    expect((await server.rateLimits.counts(['k'], window, now)).get('k')?.current).toBe(0);
    await cli.rateLimits.hit('k', window, now);
    await nextTurn();
    expect((await server.rateLimits.counts(['k'], window, now)).get('k')?.current).toBe(1);
  });

  it('does not remember a read that raced a hit of this process', async () => {
    const { repo } = countedCache(new ChangeWatch(() => 1));
    const racing = repo.counts(['r'], window, now);
    const hit = repo.hit('r', window, now);
    await Promise.all([racing, hit]);
    expect((await repo.counts(['r'], window, now)).get('r')?.current).toBe(1);
  });
});

describe('ChangeWatch and the cache', () => {
  function counting(records: Map<string, string>) {
    let reads = 0;
    const repo = {
      find: async (id: string) => {
        reads += 1;
        const secret = records.get(id);
        return secret === undefined ? undefined : { ...aClient({ clientId: id }), clientSecretDigest: secret };
      },
      create: async () => undefined,
      update: async () => true,
      delete: async () => true,
      list: async () => [],
      page: async () => ({ items: [], nextCursor: null }),
    } satisfies ClientsRepository;
    return { repo, reads: () => reads };
  }

  it('reads the data version at most once per turn, and the store only when it changed', async () => {
    let version = 1;
    let looks = 0;
    const watch = new ChangeWatch(() => {
      looks += 1;
      return version;
    });
    const records = new Map([['a', 's1']]);
    const { repo, reads } = counting(records);
    const clients = cachedClients(repo, watch);
    await Promise.all([clients.find('a'), clients.find('a'), clients.find('b'), clients.find('b')]);
    expect(reads()).toBe(2);
    expect(looks).toBe(1);
    await nextTurn();
    expect((await clients.find('a'))?.clientSecretDigest).toBe('s1');
    expect(reads()).toBe(2);
    records.set('a', 's2');
    version = 2;
    // Still the same turn: the version is not looked at again.
    expect((await clients.find('a'))?.clientSecretDigest).toBe('s1');
    await nextTurn();
    expect((await clients.find('a'))?.clientSecretDigest).toBe('s2');
    expect(looks).toBe(3);
  });

  it('forgets a failed read', async () => {
    let fail = true;
    const watch = new ChangeWatch(() => 1);
    const clients = cachedClients(
      {
        ...counting(new Map()).repo,
        find: async (id) => {
          if (fail) throw new Error('disk on fire');
          return aClient({ clientId: id });
        },
      },
      watch,
    );
    await expect(clients.find('x')).rejects.toThrow('disk on fire');
    fail = false;
    expect((await clients.find('x'))?.clientId).toBe('x');
  });
});
