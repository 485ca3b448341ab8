/** The audit trail for operators: events newest first, filtered by type, person, client and time. */
import { EVENT_TYPES } from '../observability/events.js';
import type { EventFilter, EventRecord, Page, PageQuery, Store } from '../storage/types.js';
import { AdminInputError } from './errors.js';

export interface EventQuery {
  type?: string | undefined;
  user?: string | undefined;
  client?: string | undefined;
  /** Inclusive, Unix seconds. */
  since?: number | undefined;
  until?: number | undefined;
}

export async function listEvents(store: Pick<Store, 'events'>, query: EventQuery, page: PageQuery): Promise<Page<EventRecord>> {
  const filter: EventFilter = {};
  if (query.type !== undefined) {
    if (!(EVENT_TYPES as readonly string[]).includes(query.type)) {
      throw new AdminInputError('type', `"${query.type}" is not an event type (${EVENT_TYPES.join(', ')})`);
    }
    filter.type = query.type;
  }
  if (query.user !== undefined) filter.sub = query.user;
  if (query.client !== undefined) filter.clientId = query.client;
  if (query.since !== undefined) filter.since = query.since;
  if (query.until !== undefined) filter.until = query.until;
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
    throw new AdminInputError('until', 'is before since');
  }
  return store.events.page(filter, { limit: page.limit, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) });
}

export function eventToJson(event: EventRecord): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    at: event.at,
    actor: { sub: event.actorSub, client_id: event.actorClientId },
    sub: event.sub,
    client_id: event.clientId,
    address: event.address,
    data: event.data,
  };
}
