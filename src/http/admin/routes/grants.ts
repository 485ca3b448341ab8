import { z } from 'zod';
import { grantToJson, pageGrants, revokeGrant } from '../../../admin/grants.js';
import { pageOf, pageQuery, pageQueryShape, route, unixTime } from '../route.js';

export const grantSchema = z.object({
  grant_id: z.string(),
  client_id: z.string(),
  client_name: z.string().optional(),
  sub: z.string().nullable().describe('null for a client acting for itself (client credentials)'),
  scope: z.string(),
  created_at: unixTime,
  revoked_at: unixTime.nullable(),
});

const tag = 'grants';

export const grantRoutes = [
  route({
    method: 'GET',
    path: '/grants',
    operationId: 'listGrants',
    summary: 'List grants, newest first, of a person (user) and/or a client; revoked ones included',
    tag,
    scope: 'admin:read',
    query: z.strictObject({
      ...pageQueryShape,
      user: z.string().min(1).max(256).optional().describe("The person's sub"),
      client: z.string().min(1).max(128).optional().describe('The client_id'),
    }),
    response: pageOf(grantSchema),
    async handler({ ctx, query }) {
      const page = await pageGrants(ctx.store, { sub: query.user, clientId: query.client }, pageQuery(query));
      return { items: page.items.map((view) => grantToJson(view) as z.input<typeof grantSchema>), next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'DELETE',
    path: '/grants/{grant_id}',
    operationId: 'revokeGrant',
    summary: 'Revoke a grant and every access and refresh token issued from it',
    tag,
    scope: 'admin:write',
    params: z.strictObject({ grant_id: z.string().min(1).max(256) }),
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await revokeGrant(ctx.store, params.grant_id, now, caller.actor);
    },
  }),
];
