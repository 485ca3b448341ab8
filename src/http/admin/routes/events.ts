import { z } from 'zod';
import { eventToJson, listEvents } from '../../../admin/events.js';
import { EVENT_TYPES } from '../../../observability/events.js';
import { pageOf, pageQuery, pageQueryShape, route, unixTime } from '../route.js';

const value = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const eventSchema = z.object({
  id: z.string(),
  type: z.string(),
  at: unixTime,
  actor: z.object({ sub: z.string().nullable(), client_id: z.string().nullable() }).describe('Who did it: a person, a client, or neither (the CLI, a stranger)'),
  sub: z.string().nullable().describe('The person it concerns'),
  client_id: z.string().nullable().describe('The client it concerns'),
  address: z.string().nullable(),
  data: z.record(z.string(), value),
});

const time = z.coerce.number().int().min(0).optional();

export const eventRoutes = [
  route({
    method: 'GET',
    path: '/events',
    operationId: 'listEvents',
    summary: 'The audit trail, newest first, filtered by type, person, client and time (inclusive, Unix seconds)',
    tag: 'events',
    scope: 'admin:read',
    query: z.strictObject({
      ...pageQueryShape,
      type: z.enum(EVENT_TYPES).optional(),
      user: z.string().min(1).max(256).optional().describe('A sub: the actor or the person concerned'),
      client: z.string().min(1).max(128).optional().describe('A client_id: the acting client or the client concerned'),
      since: time.describe('Unix seconds'),
      until: time.describe('Unix seconds'),
    }),
    response: pageOf(eventSchema),
    async handler({ ctx, query }) {
      const page = await listEvents(ctx.store, query, pageQuery(query));
      return { items: page.items.map((e) => eventToJson(e) as z.input<typeof eventSchema>), next_cursor: page.nextCursor };
    },
  }),
];
