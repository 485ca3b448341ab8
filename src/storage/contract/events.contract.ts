import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../types.js';
import { InvalidCursorError, StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { NOW, uniqueId } from './fixtures.js';
import { allPages, foreignCursors } from './pages.contract.js';

/** Far from every other test's times, so that a time range holds only this file's events. */
const T = NOW + 50_000_000;

let sequence = 0;

export function anEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  sequence += 1;
  return {
    id: `${(T + sequence).toString(16).padStart(12, '0')}${uniqueId('e').slice(-10)}`,
    type: 'login.succeeded',
    at: T,
    actorSub: null,
    actorClientId: null,
    sub: null,
    clientId: null,
    address: '203.0.113.7',
    data: {},
    ...overrides,
  };
}

export function eventsContract({ store }: ContractContext): void {
  describe('events', () => {
    it('records an event and gives it back as recorded; an id is recorded once', async () => {
      const event = anEvent({
        type: 'client.updated',
        at: T + 1000,
        actorSub: uniqueId('admin'),
        clientId: uniqueId('client'),
        data: { fields: ['redirect_uris', 'client_name'], count: 2, rotated: false, reason: null, name: 'Ünïcode "quoted"' },
      });
      await store().events.record(event);
      expect(await store().events.page({ clientId: event.clientId! }, { limit: 10 })).toEqual({ items: [event], nextCursor: null });
      await expect(store().events.record({ ...event, type: 'client.deleted' })).rejects.toBeInstanceOf(StorageConflictError);
    });

    it('lists newest first, ties in time broken by id, and pages through with a cursor', async () => {
      const at = T + 2000;
      const events = [
        anEvent({ at: at + 1 }),
        anEvent({ at: at + 3 }),
        anEvent({ at: at + 2 }),
        anEvent({ at: at + 2 }),
        anEvent({ at: at + 5 }),
      ];
      for (const event of [...events].reverse()) await store().events.record(event);
      const expected = [events[4], events[1], events[3], events[2], events[0]];
      const window = { since: at, until: at + 999 };
      const { items, pages } = await allPages((query) => store().events.page(window, query), { limit: 2 });
      expect(pages).toBe(3);
      expect(items).toEqual(expected);
      const unfiltered = await allPages((query) => store().events.page({}, query), { limit: 1000 });
      expect(unfiltered.items.filter((e) => e.at >= at && e.at < at + 1000)).toEqual(expected);
      for (const cursor of foreignCursors('grants')) {
        await expect(store().events.page({}, { limit: 2, cursor }), cursor).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });

    it('filters by type, by person (actor or subject), by client (actor or concerned) and by an inclusive time range', async () => {
      const at = T + 3000;
      const person = uniqueId('person');
      const client = uniqueId('client');
      const acted = anEvent({ type: 'user.updated', at: at + 1, actorSub: person, sub: uniqueId('someone') });
      const concerned = anEvent({ type: 'login.succeeded', at: at + 2, sub: person, clientId: client });
      const machine = anEvent({ type: 'client.updated', at: at + 3, actorClientId: client, clientId: uniqueId('client') });
      const stranger = anEvent({ type: 'login.failed', at: at + 4, address: '198.51.100.1' });
      const all = [acted, concerned, machine, stranger];
      for (const event of all) await store().events.record(event);
      const window = { since: at, until: at + 999 };
      const ids = async (filter: Parameters<ReturnType<ContractContext['store']>['events']['page']>[0]) =>
        (await store().events.page({ ...window, ...filter }, { limit: 100 })).items.map((e) => e.id);

      expect(await ids({ sub: person })).toEqual([concerned.id, acted.id]);
      expect(await ids({ clientId: client })).toEqual([machine.id, concerned.id]);
      expect(await ids({ type: 'login.succeeded' })).toEqual([concerned.id]);
      expect(await ids({ type: 'login.succeeded', sub: person, clientId: client })).toEqual([concerned.id]);
      expect(await ids({ type: 'login.failed', sub: person })).toEqual([]);
      expect(await ids({ since: at + 2, until: at + 3 })).toEqual([machine.id, concerned.id]);
      expect(await ids({ since: at + 4 })).toEqual([stranger.id]);
      expect(await ids({ since: at, until: at + 1 })).toEqual([acted.id]);
      expect(await ids({ sub: uniqueId('nobody') })).toEqual([]);
    });

    it('the purge deletes the events older than the retention, and only when asked', async () => {
      const at = T + 4000;
      const old = anEvent({ at: at + 1, type: 'logout' });
      const boundary = anEvent({ at: at + 2, type: 'logout' });
      const recent = anEvent({ at: at + 3, type: 'logout' });
      for (const event of [old, boundary, recent]) await store().events.record(event);
      const window = { type: 'logout', since: at, until: at + 999 };
      await store().purgeExpired(0);
      expect((await store().events.page(window, { limit: 10 })).items).toHaveLength(3);
      await store().purgeExpired(0, { eventsBefore: at + 2 });
      expect((await store().events.page(window, { limit: 10 })).items).toEqual([recent, boundary]);
    });
  });
}
