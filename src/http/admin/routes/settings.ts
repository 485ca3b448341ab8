import { z } from 'zod';
import { brandingInputSchema, brandingToJson, getBranding, putBranding } from '../../../admin/branding.js';
import { route, unixTime } from '../route.js';

const url = z.string().nullable();
export const brandingSchema = z.object({
  product_name: z.string().nullable(),
  logo_uri: url,
  primary_color: z.string().nullable(),
  links: z.object({ privacy: url, terms: url, support: url }),
  updated_at: unixTime.nullable().describe('When an operator last changed it; null: config defaults only'),
});

const tag = 'settings';

export const settingsRoutes = [
  route({
    method: 'GET',
    path: '/settings/branding',
    operationId: 'getBranding',
    summary: 'The branding every page shows: stored settings over the LATCH_BRAND_* config over Latch',
    tag,
    scope: 'admin:read',
    response: brandingSchema,
    async handler({ ctx }) {
      return brandingToJson(await getBranding(ctx.store, ctx.config)) as z.input<typeof brandingSchema>;
    },
  }),
  route({
    method: 'PUT',
    path: '/settings/branding',
    operationId: 'putBranding',
    summary: 'Set the branding (fields left out are kept, null clears one); every instance shows it at once',
    tag,
    scope: 'admin:write',
    body: brandingInputSchema,
    response: brandingSchema,
    async handler({ ctx, body, caller, now }) {
      await putBranding(ctx.store, body, caller.actor, now);
      return brandingToJson(await getBranding(ctx.store, ctx.config)) as z.input<typeof brandingSchema>;
    },
  }),
];
