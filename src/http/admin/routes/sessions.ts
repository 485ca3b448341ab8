import { z } from 'zod';
import { pageInMemory } from '../../../admin/paging.js';
import { endSession, listSessions, sessionToJson } from '../../../admin/sessions.js';
import { pageOf, pageQuery, pageQueryShape, route, unixTime } from '../route.js';

export const sessionSchema = z.object({
  sid: z.string().describe('The public session id (the sid claim)'),
  sub: z.string(),
  auth_time: unixTime,
  amr: z.array(z.string()),
  created_at: unixTime,
  expires_at: unixTime,
});

const tag = 'sessions';

export const sessionRoutes = [
  route({
    method: 'GET',
    path: '/sessions',
    operationId: 'listSessions',
    summary: "A person's single sign-on sessions that have not expired, newest first",
    tag,
    scope: 'admin:read',
    query: z.strictObject({ ...pageQueryShape, user: z.string().min(1).max(256).describe("The person's sub") }),
    response: pageOf(sessionSchema),
    async handler({ ctx, query, now }) {
      const page = pageInMemory(await listSessions(ctx.store, query.user, now), pageQuery(query), (s) => s.sid);
      return { items: page.items.map((s) => sessionToJson(s) as z.input<typeof sessionSchema>), next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'DELETE',
    path: '/sessions/{id}',
    operationId: 'endSession',
    summary: 'End one session (by its sid): that browser must sign in again',
    tag,
    scope: 'admin:write',
    params: z.strictObject({ id: z.string().min(1).max(256).describe('The sid') }),
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await endSession(ctx.store, params.id, caller.actor, now, ctx.backchannelLogout);
    },
  }),
];
