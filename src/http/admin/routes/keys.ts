import { z } from 'zod';
import { keyToJson, listKeys, rotateSigningKeys } from '../../../admin/keys.js';
import { pageInMemory } from '../../../admin/paging.js';
import { ProblemError } from '../problem.js';
import { pageOf, pageQuery, pageQueryShape, route, unixTime } from '../route.js';

export const keySchema = z.object({
  kid: z.string(),
  alg: z.string(),
  state: z.enum(['next', 'active', 'retired']),
  created_at: unixTime,
  activated_at: unixTime.nullable(),
  retired_at: unixTime.nullable(),
});

const tag = 'keys';

export const keyRoutes = [
  route({
    method: 'GET',
    path: '/keys',
    operationId: 'listKeys',
    summary: 'List signing keys by algorithm: active, next, retired (never a private key)',
    tag,
    scope: 'admin:read',
    query: z.strictObject(pageQueryShape),
    response: pageOf(keySchema),
    async handler({ ctx, query }) {
      const page = pageInMemory(await listKeys(ctx.store), pageQuery(query), (k) => k.kid);
      return { items: page.items.map((k) => keyToJson(k) as z.input<typeof keySchema>), next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'POST',
    path: '/keys/rotate',
    operationId: 'rotateKeys',
    summary: 'next -> active -> retired for each algorithm, as `latch keys rotate` does',
    tag,
    scope: 'admin:write',
    response: z.object({ activated: z.array(z.string()), retired: z.array(z.string()), created: z.array(z.string()), pruned: z.array(z.string()) }),
    async handler({ ctx, caller, now }) {
      if (!ctx.keySecret) {
        throw new ProblemError({ type: 'urn:latch:problem:unavailable', title: 'Not available', status: 503, detail: 'this server was started without its key secret' });
      }
      const result = await rotateSigningKeys(ctx.store, { secret: ctx.keySecret, algorithms: ctx.config.keyAlgorithms }, caller.actor, now);
      // This instance signs with the new key at once; the others follow the store's key changes.
      await ctx.keys.reload();
      return result;
    },
  }),
];
