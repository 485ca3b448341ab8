import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchesClientSecret } from '../core/client-auth/client-secret.js';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-update-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[]) => runLatch(argv, { env });

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openMigratedStore>>) => Promise<T>): Promise<T> {
  const store = await openMigratedStore({ dataDir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function webClient(): Promise<string> {
  const created = await latch(['clients', 'create', '--name', 'Shop', '--type', 'web', '--redirect-uri', 'https://shop.example/cb', '--json']);
  expectCode(created, 0);
  return created.json<{ client_id: string }>().client_id;
}

describe('latch clients update', () => {
  it('replaces redirect URIs, name, scope and URLs through the admin service, and records the change', async () => {
    const id = await webClient();
    const res = await latch([
      'clients', 'update', id, '--name', 'Shop 2', '--redirect-uri', 'https://shop.example/cb2', '--redirect-uri', 'http://localhost:3000/cb',
      '--scope', 'openid profile', '--logo-uri', 'https://shop.example/logo.png', '--json',
    ]);
    expectCode(res, 0);
    expect(res.json()).toMatchObject({ client_name: 'Shop 2', redirect_uris: ['https://shop.example/cb2', 'http://localhost:3000/cb'], scope: 'openid profile', logo_uri: 'https://shop.example/logo.png' });
    const removed = await latch(['clients', 'update', id, '--logo-uri', '', '--json']);
    expect(removed.json().logo_uri).toBeUndefined();
    const events = await withStore((store) => store.events.page({ clientId: id }, { limit: 10 }));
    expect(events.items.map((e) => e.type)).toEqual(['client.updated', 'client.updated', 'client.created']);
    expect(events.items.every((e) => e.actorSub === null && e.actorClientId === null)).toBe(true);
  });

  it('names the flag of a wrong value and changes nothing', async () => {
    const id = await webClient();
    const res = await latch(['clients', 'update', id, '--name', 'Changed', '--redirect-uri', 'http://shop.example/cb']);
    expectCode(res, 1);
    expect(res.stderr).toMatch(/--redirect-uri: "http:\/\/shop\.example\/cb" must use https/);
    const tos = await latch(['clients', 'update', id, '--tos-uri', 'ftp://shop.example/tos']);
    expect(tos.stderr).toMatch(/--tos-uri: /);
    const client = await withStore((store) => store.clients.find(id));
    expect(client?.metadata.client_name).toBe('Shop');
    expect(client?.metadata.redirect_uris).toEqual(['https://shop.example/cb']);
    expectCode(await latch(['clients', 'update', id]), 2);
    expectCode(await latch(['clients', 'update', 'latch-console', '--name', 'Mine']), 1);
  });
});

describe('latch clients rotate-secret', () => {
  it('prints a new secret once; without --grace the old one stops, with --grace it works until then', async () => {
    const created = await latch(['clients', 'create', '--name', 'Job', '--type', 'm2m', '--json']);
    const { client_id: id, client_secret: first } = created.json<{ client_id: string; client_secret: string }>();
    const rotated = await latch(['clients', 'rotate-secret', id, '--json']);
    expectCode(rotated, 0);
    const second = rotated.json<{ client_secret: string; previous_secret_expires_at: null }>();
    expect(second.previous_secret_expires_at).toBeNull();
    const now = Math.floor(Date.now() / 1000);
    let client = await withStore((store) => store.clients.find(id));
    expect(matchesClientSecret(second.client_secret, client!, now)).toBe(true);
    expect(matchesClientSecret(first, client!, now)).toBe(false);

    const graced = await latch(['clients', 'rotate-secret', id, '--grace', '3600']);
    expectCode(graced, 0);
    expect(graced.stdout).toMatch(/client_secret: \S+/);
    expect(graced.stdout).toMatch(/old secret keeps working until/);
    const third = /client_secret: (\S+)/.exec(graced.stdout)![1]!;
    client = await withStore((store) => store.clients.find(id));
    expect(client?.previousSecret?.expiresAt).toBeGreaterThanOrEqual(now + 3600);
    expect(matchesClientSecret(third, client!, now)).toBe(true);
    expect(matchesClientSecret(second.client_secret, client!, now)).toBe(true);
    expect(matchesClientSecret(second.client_secret, client!, now + 3601)).toBe(false);

    const bad = await latch(['clients', 'rotate-secret', id, '--grace', 'soon']);
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/--grace: /);
  });
});

describe("latch apis create --scope 'read:photos=See your photos'", () => {
  it('registers the scope with its description, and apis update replaces both', async () => {
    const res = await latch(['apis', 'create', '--identifier', 'https://photos.example', '--scope', 'read:photos=See your photos', '--scope', 'write:photos', '--json']);
    expectCode(res, 0);
    expect(res.json()).toMatchObject({ scopes: ['read:photos', 'write:photos'], scope_descriptions: { 'read:photos': 'See your photos' } });
    const updated = await latch(['apis', 'update', 'https://photos.example', '--name', 'Photos', '--scope', 'read:photos=Look at your photos', '--json']);
    expectCode(updated, 0);
    expect(updated.json()).toMatchObject({ name: 'Photos', scopes: ['read:photos'], scope_descriptions: { 'read:photos': 'Look at your photos' } });
    const bad = await latch(['apis', 'create', '--identifier', 'https://videos.example', '--scope', 'read:videos=']);
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/scope_descriptions\.read:videos: is empty/);
  });
});
