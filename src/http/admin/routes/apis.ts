import { z } from 'zod';
import { ACCESS_TOKEN_ALGS, apiToJson, createApi, deleteApi, findApi, listApis, MAX_API_TTL, TOKEN_FORMATS, updateApi, type CreateApiInput } from '../../../admin/apis.js';
import type { AccessTokenFormat } from '../../../storage/types.js';
import { pageOf, pageQuery, pageQueryShape, route, searchShape, unixTime } from '../route.js';

const tokenFormat = z.enum(TOKEN_FORMATS as [AccessTokenFormat, ...AccessTokenFormat[]]);
const scopes = z.array(z.string().min(1).max(200)).max(200);
const descriptions = z.record(z.string(), z.string().max(1000)).describe('What each scope lets a client do, for the consent page');
const ttl = z.number().int().min(1).max(MAX_API_TTL).describe('Access token lifetime, seconds');
const alg = z.enum(ACCESS_TOKEN_ALGS as [string, ...string[]]);
const clientIds = z.array(z.string().min(1).max(128)).max(100);

export const apiSchema = z.object({
  identifier: z.string().describe('The resource indicator (RFC 8707) and token audience'),
  name: z.string(),
  scopes: z.array(z.string()),
  scope_descriptions: z.record(z.string(), z.string()),
  token_format: tokenFormat,
  access_token_ttl: z.number().int(),
  signing_alg: z.string(),
  introspection_clients: z.array(z.string()),
  created_at: unixTime,
});

const apiParams = z.strictObject({ identifier: z.string().min(1).max(2048).describe('The identifier, URL-encoded (https%3A%2F%2Fapi.example)') });
const tag = 'apis';
const asJson = (api: Parameters<typeof apiToJson>[0]) => apiToJson(api) as z.input<typeof apiSchema>;

export const apiRoutes = [
  route({
    method: 'GET',
    path: '/apis',
    operationId: 'listApis',
    summary: 'List APIs, oldest first (q searches the identifier and the name)',
    tag,
    scope: 'admin:read',
    query: z.strictObject({ ...pageQueryShape, ...searchShape }),
    response: pageOf(apiSchema),
    async handler({ ctx, query }) {
      const page = await listApis(ctx.store, pageQuery(query));
      return { items: page.items.map(asJson), next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'POST',
    path: '/apis',
    operationId: 'createApi',
    summary: 'Register an API (a resource server that accepts Latch access tokens)',
    tag,
    scope: 'admin:write',
    body: z.strictObject({
      identifier: z.string().min(1).max(2048),
      name: z.string().min(1).max(200).optional(),
      scopes: scopes.optional(),
      scope_descriptions: descriptions.optional(),
      token_format: tokenFormat.optional(),
      access_token_ttl: ttl.optional(),
      signing_alg: alg.optional(),
      introspection_clients: clientIds.optional(),
    }),
    response: apiSchema,
    status: 201,
    async handler({ ctx, body, caller, now }) {
      const input: CreateApiInput = { identifier: body.identifier };
      if (body.name !== undefined) input.name = body.name;
      if (body.scopes !== undefined) input.scopes = body.scopes;
      if (body.scope_descriptions !== undefined) input.scopeDescriptions = body.scope_descriptions;
      if (body.token_format !== undefined) input.tokenFormat = body.token_format;
      if (body.access_token_ttl !== undefined) input.accessTokenTtl = body.access_token_ttl;
      if (body.signing_alg !== undefined) input.signingAlg = body.signing_alg;
      if (body.introspection_clients !== undefined) input.introspectionClients = body.introspection_clients;
      return asJson(await createApi(ctx.store, input, now, caller.actor));
    },
  }),
  route({
    method: 'GET',
    path: '/apis/{identifier}',
    operationId: 'getApi',
    summary: 'Show one API',
    tag,
    scope: 'admin:read',
    params: apiParams,
    response: apiSchema,
    async handler({ ctx, params }) {
      return asJson(await findApi(ctx.store, params.identifier));
    },
  }),
  route({
    method: 'PATCH',
    path: '/apis/{identifier}',
    operationId: 'updateApi',
    summary: 'Change an API: name, scopes and their descriptions, token format, lifetime, algorithm, introspection clients',
    tag,
    scope: 'admin:write',
    params: apiParams,
    body: z.strictObject({
      name: z.string().min(1).max(200).optional(),
      scopes: scopes.optional(),
      scope_descriptions: descriptions.optional(),
      token_format: tokenFormat.optional(),
      access_token_ttl: ttl.optional(),
      signing_alg: alg.optional(),
      introspection_clients: clientIds.optional(),
    }),
    response: apiSchema,
    async handler({ ctx, params, body, caller, now }) {
      return asJson(await updateApi(ctx.store, params.identifier, body, caller.actor, now));
    },
  }),
  route({
    method: 'DELETE',
    path: '/apis/{identifier}',
    operationId: 'deleteApi',
    summary: 'Delete an API; its tokens fail introspection from then on',
    tag,
    scope: 'admin:write',
    params: apiParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await deleteApi(ctx.store, params.identifier, now, caller.actor);
    },
  }),
];
