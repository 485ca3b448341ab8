import type { Kysely, Selectable } from 'kysely';
import type { Database, EventsTable } from '../database.js';
import type { EventRecord, EventsRepository } from '../types.js';
import { fromJson, insertOnce, toJson } from './codec.js';
import { afterKey, pageList } from './page.js';

function toRecord(row: Selectable<EventsTable>): EventRecord {
  return {
    id: row.id,
    type: row.type,
    at: row.at,
    actorSub: row.actor_sub,
    actorClientId: row.actor_client_id,
    sub: row.sub,
    clientId: row.client_id,
    address: row.address,
    data: fromJson<EventRecord['data']>(row.data),
  };
}

/** The audit trail: written on sign-ins and operators' changes, listed newest first. */
export function eventsRepository(db: Kysely<Database>): EventsRepository {
  const pages = pageList<Selectable<EventsTable>>('events', (row) => ({ at: row.at, id: row.id }));

  return {
    async record(event) {
      await insertOnce(`event ${event.id}`, () =>
        db
          .insertInto('events')
          .values({
            id: event.id,
            type: event.type,
            at: event.at,
            actor_sub: event.actorSub,
            actor_client_id: event.actorClientId,
            sub: event.sub,
            client_id: event.clientId,
            address: event.address,
            data: toJson(event.data),
          })
          .execute(),
      );
    },

    async page(filter, query) {
      const { fetch, after } = pages.start(query);
      let select = db.selectFrom('events').selectAll();
      if (filter.type !== undefined) select = select.where('type', '=', filter.type);
      const { sub, clientId } = filter;
      if (sub !== undefined) select = select.where((eb) => eb.or([eb('actor_sub', '=', sub), eb('sub', '=', sub)]));
      if (clientId !== undefined) select = select.where((eb) => eb.or([eb('actor_client_id', '=', clientId), eb('client_id', '=', clientId)]));
      if (filter.since !== undefined) select = select.where('at', '>=', filter.since);
      if (filter.until !== undefined) select = select.where('at', '<=', filter.until);
      if (after !== undefined) select = select.where(afterKey('at', 'id', after, 'desc'));
      const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(fetch).execute();
      return pages.finish(rows, query, toRecord);
    },
  };
}
