import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { AdminInputError, createApi, deleteApi, listApis, parseScopeArguments, updateApi } from './apis.js';
import { ADMIN_API, ensureBuiltins } from './builtins.js';

let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-apis-update-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminInputError);
  return (err as AdminInputError).field;
}

describe('parseScopeArguments', () => {
  it("splits 'scope=description' at the first =", () => {
    expect(parseScopeArguments(['read:photos=See your photos', 'write:photos', 'a=b=c'])).toEqual({
      scopes: ['read:photos', 'write:photos', 'a'],
      scopeDescriptions: { 'read:photos': 'See your photos', a: 'b=c' },
    });
  });
});

describe('createApi and updateApi', () => {
  it('keeps scope descriptions of its own scopes only, trimmed', async () => {
    const api = await createApi(store, { identifier: 'https://p.example', scopes: ['read'], scopeDescriptions: { read: '  See  ' } });
    expect(api.scopeDescriptions).toEqual({ read: 'See' });
    expect((await store.apis.find('https://p.example'))?.scopeDescriptions).toEqual({ read: 'See' });
    expect(await fieldOf(createApi(store, { identifier: 'https://q.example', scopes: ['read'], scopeDescriptions: { write: 'x' } }))).toBe('scope_descriptions.write');
    expect(await fieldOf(createApi(store, { identifier: 'https://q.example', scopes: ['read'], scopeDescriptions: { read: 'x'.repeat(201) } }))).toBe('scope_descriptions.read');
  });

  it('changes what the patch gives, drops descriptions of removed scopes, records api.updated', async () => {
    await createApi(store, { identifier: 'https://p.example', scopes: ['a', 'b'], scopeDescriptions: { a: 'A', b: 'B' } });
    const api = await updateApi(store, 'https://p.example', { scopes: ['a'], access_token_ttl: 60 }, undefined, 500);
    expect(api).toMatchObject({ scopes: ['a'], scopeDescriptions: { a: 'A' }, accessTokenTtl: 60, tokenFormat: 'jwt' });
    expect(await store.apis.find('https://p.example')).toMatchObject({ scopes: ['a'], scopeDescriptions: { a: 'A' }, accessTokenTtl: 60 });
    const events = await store.events.page({ type: 'api.updated' }, { limit: 1 });
    expect(events.items[0]).toMatchObject({ at: 500, data: { identifier: 'https://p.example', fields: ['access_token_ttl', 'scopes'] } });
    const before = await store.apis.find('https://p.example');
    expect(await fieldOf(updateApi(store, 'https://p.example', { name: 'x', signing_alg: 'none' }))).toBe('signing_alg');
    expect(await store.apis.find('https://p.example')).toEqual(before);
  });

  it('the built-in admin API keeps opaque tokens and its scopes, and cannot be deleted', async () => {
    await ensureBuiltins(store, 'https://id.example');
    expect(await fieldOf(updateApi(store, ADMIN_API, { token_format: 'jwt' }))).toBe('token_format');
    expect(await fieldOf(updateApi(store, ADMIN_API, { scopes: ['admin:write'] }))).toBe('scopes');
    expect(await fieldOf(deleteApi(store, ADMIN_API))).toBe('identifier');
    expect((await updateApi(store, ADMIN_API, { access_token_ttl: 300 })).accessTokenTtl).toBe(300);
  });

  it('lists a page at a time; a cursor naming no API is refused', async () => {
    for (const n of [1, 2, 3]) await createApi(store, { identifier: `https://p${n}.example` }, n);
    const first = await listApis(store, { limit: 2 });
    expect(first.items.map((a) => a.identifier)).toEqual(['https://p1.example', 'https://p2.example']);
    const second = await listApis(store, { limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ identifier: 'https://p3.example' })], nextCursor: null });
    await expect(listApis(store, { limit: 2, cursor: 'https://gone.example' })).rejects.toThrow(/cursor/);
  });
});
