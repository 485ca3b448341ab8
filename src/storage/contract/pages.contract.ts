import { describe, expect, it } from 'vitest';
import type { Page, PageQuery } from '../types.js';
import { InvalidCursorError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, aUser, NOW, uniqueId } from './fixtures.js';

/** Every item of a list, page by page; also returns how many pages it took. */
export async function allPages<T>(list: (query: PageQuery) => Promise<Page<T>>, query: Omit<PageQuery, 'cursor'>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 100; pages += 1) {
    const page = await list({ ...query, cursor });
    expect(page.items.length).toBeLessThanOrEqual(query.limit);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    expect(typeof page.nextCursor).toBe('string');
    cursor = page.nextCursor;
  }
  throw new Error('the list never ended');
}

const cursorOf = (name: string, at: number, id: string) => Buffer.from(JSON.stringify([name, at, id])).toString('base64url');

/** Cursors no list gave out: not base64url, not JSON, the wrong shape, and another list's. */
export function foreignCursors(otherList: string): string[] {
  return [
    'not a cursor!',
    '',
    Buffer.from('{"at":1').toString('base64url'),
    Buffer.from(JSON.stringify({ at: 1, id: 'x' })).toString('base64url'),
    Buffer.from(JSON.stringify(['clients', 'one', 'x'])).toString('base64url'),
    Buffer.from(JSON.stringify(['users', 1.5, 'x'])).toString('base64url'),
    cursorOf(otherList, NOW, 'x'),
  ];
}

export function pagesContract({ store }: ContractContext): void {
  describe('pages of clients', () => {
    it('pages through the clients oldest first, ties broken by client_id, with a cursor to each next page', async () => {
      const marker = uniqueId('paging');
      const made = [
        aClient({ clientId: `${marker}-b`, createdAt: NOW + 5 }),
        aClient({ clientId: `${marker}-a`, createdAt: NOW + 5 }),
        aClient({ clientId: `${marker}-c`, createdAt: NOW + 1 }),
        aClient({ clientId: `${marker}-d`, createdAt: NOW + 9 }),
        aClient({ clientId: `${marker}-e`, createdAt: NOW + 2 }),
      ];
      for (const client of made) await store().clients.create(client);
      const { items, pages } = await allPages((query) => store().clients.page(query), { limit: 2, q: marker });
      expect(pages).toBe(3);
      expect(items.map((c) => c.clientId)).toEqual(['c', 'e', 'a', 'b', 'd'].map((s) => `${marker}-${s}`));
      expect(items.find((c) => c.clientId === `${marker}-a`)).toEqual(made[1]);

      const exact = await store().clients.page({ limit: 5, q: marker });
      expect(exact.items).toHaveLength(5);
      expect(exact.nextCursor).toBeNull();
      const all = await allPages((query) => store().clients.page(query), { limit: 1000 });
      expect(all.items.filter((c) => c.clientId.startsWith(marker)).map((c) => c.clientId)).toEqual(items.map((c) => c.clientId));
    });

    it('searches client_id and client_name, ignoring case; % and _ match themselves', async () => {
      const marker = uniqueId('search').toLowerCase();
      const literal = aClient({ metadata: { ...aClient().metadata, client_name: `${marker} 100%_off!` } });
      const lookalike = aClient({ metadata: { ...aClient().metadata, client_name: `${marker} 100xxoff!` } });
      const byId = aClient({ clientId: `${marker}-ID` });
      for (const client of [literal, lookalike, byId]) await store().clients.create(client);
      const ids = async (q: string) => (await store().clients.page({ limit: 10, q })).items.map((c) => c.clientId).sort();
      expect(await ids(`${marker} 100%_`)).toEqual([literal.clientId]);
      expect(await ids('0%_OFF!')).toEqual([literal.clientId]);
      expect(await ids(`${marker} 100x`)).toEqual([lookalike.clientId]);
      expect(await ids(`${marker.toUpperCase()}-id`)).toEqual([byId.clientId]);
      expect(await ids(`${marker}`)).toEqual([literal.clientId, lookalike.clientId, byId.clientId].sort());
      expect(await ids(`${marker}_`)).toEqual([]);
      expect(await ids(`${marker}%`)).toEqual([]);
    });

    it('refuses a cursor it did not give out', async () => {
      for (const cursor of foreignCursors('users')) {
        await expect(store().clients.page({ limit: 2, cursor }), cursor).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });
  });

  describe('pages of users', () => {
    it('pages through the users oldest first; searches email, sub and name, ignoring case', async () => {
      const marker = uniqueId('people').toLowerCase();
      const made = [
        aUser({ sub: `${marker}-3`, createdAt: NOW + 3 }),
        aUser({ sub: `${marker}-1`, createdAt: NOW + 1 }),
        aUser({ sub: `${marker}-2`, createdAt: NOW + 3 }),
      ];
      for (const user of made) await store().users.create(user);
      const { items, pages } = await allPages((query) => store().users.page(query), { limit: 2, q: marker });
      expect(pages).toBe(2);
      expect(items).toEqual([made[1], made[2], made[0]]);

      const named = aUser({ profile: { name: `Grace ${marker} 50%_Hopper` } });
      const lookalike = aUser({ profile: { name: `Grace ${marker} 50xxHopper` } });
      const mailed = aUser({ email: `${marker}.mail@Example.COM` });
      for (const user of [named, lookalike, mailed]) await store().users.create(user);
      const subs = async (q: string) => (await store().users.page({ limit: 10, q })).items.map((u) => u.sub).sort();
      expect(await subs(`${marker.toUpperCase()} 50%_hop`)).toEqual([named.sub]);
      expect(await subs(`${marker}.MAIL@example`)).toEqual([mailed.sub]);
      expect(await subs(`${marker}-2`)).toEqual([made[2]!.sub]);
      expect(await subs(`${marker}_`)).toEqual([]);
    });

    it('refuses a cursor it did not give out, and one of the clients list', async () => {
      for (const cursor of foreignCursors('clients')) {
        await expect(store().users.page({ limit: 2, cursor }), cursor).rejects.toBeInstanceOf(InvalidCursorError);
      }
      const marker = uniqueId('cursor');
      for (const s of ['a', 'b']) await store().clients.create(aClient({ clientId: `${marker}-${s}` }));
      const clients = await store().clients.page({ limit: 1, q: marker });
      expect(clients.nextCursor).not.toBeNull();
      await expect(store().users.page({ limit: 1, cursor: clients.nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}
