/** /admin/api/connections and /admin/api/users/{sub}/identities: upstream providers and the identities linked through them. */
import { z } from 'zod';
import {
  claimMappingSchema,
  createConnection,
  createConnectionSchema,
  deleteConnection,
  getConnection,
  listConnections,
  listIdentities,
  unlinkIdentity,
  updateConnection,
  updateConnectionSchema,
  type ConnectionsDeps,
} from '../../../admin/connections.js';
import { AdminInputError } from '../../../admin/errors.js';
import type { AppContext } from '../../context.js';
import { route, unixTime } from '../route.js';

export const connectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['oidc', 'oauth2']),
  issuer: z.string().nullable(),
  authorization_endpoint: z.string().nullable(),
  token_endpoint: z.string().nullable(),
  userinfo_endpoint: z.string().nullable(),
  client_id: z.string(),
  has_client_secret: z.boolean().describe('Whether a client secret is set (it is never returned)'),
  scopes: z.array(z.string()),
  claim_mapping: claimMappingSchema,
  enabled: z.boolean(),
  callback_url: z.string().describe('The redirect URI to register at the provider'),
  created_at: unixTime,
  updated_at: unixTime,
});

export const identitySchema = z.object({
  connection: z.string(),
  upstream_sub: z.string(),
  sub: z.string(),
  email: z.string().nullable(),
  created_at: unixTime,
  last_used_at: unixTime.nullable(),
});

const connectionParams = z.strictObject({ id: z.string().min(1).max(64) });
const identityParams = z.strictObject({ sub: z.string().min(1).max(256), connection: z.string().min(1).max(64), upstreamSub: z.string().min(1).max(255) });
const tag = 'connections';

function deps(ctx: AppContext): ConnectionsDeps {
  if (!ctx.keySecret) throw new AdminInputError('client_secret', 'this server has no server secret to seal it with');
  return { store: ctx.store, serverSecret: ctx.keySecret, allowPrivate: ctx.config.fetchAllowPrivate, issuer: ctx.config.issuer };
}

const readDeps = (ctx: AppContext) => ({ store: ctx.store, issuer: ctx.config.issuer });

export const connectionRoutes = [
  route({
    method: 'GET',
    path: '/connections',
    operationId: 'listConnections',
    summary: 'List the upstream identity providers people may sign in with, oldest first',
    tag,
    scope: 'admin:read',
    response: z.object({ items: z.array(connectionSchema) }),
    async handler({ ctx }) {
      return { items: await listConnections(readDeps(ctx)) };
    },
  }),
  route({
    method: 'POST',
    path: '/connections',
    operationId: 'createConnection',
    summary: 'Register an upstream provider: OpenID Connect by its issuer (discovery is read to check it), or OAuth 2.0 by its endpoints',
    tag,
    scope: 'admin:write',
    body: createConnectionSchema,
    response: connectionSchema,
    status: 201,
    async handler({ ctx, body, caller, now }) {
      return createConnection(deps(ctx), body, now, caller.actor);
    },
  }),
  route({
    method: 'GET',
    path: '/connections/{id}',
    operationId: 'getConnection',
    summary: 'Show one connection (never its client secret)',
    tag,
    scope: 'admin:read',
    params: connectionParams,
    response: connectionSchema,
    async handler({ ctx, params }) {
      return getConnection(readDeps(ctx), params.id);
    },
  }),
  route({
    method: 'PATCH',
    path: '/connections/{id}',
    operationId: 'updateConnection',
    summary: 'Change a connection: name, enabled, scopes, claim mapping, client secret',
    tag,
    scope: 'admin:write',
    params: connectionParams,
    body: updateConnectionSchema,
    response: connectionSchema,
    async handler({ ctx, params, body, caller, now }) {
      return updateConnection(deps(ctx), params.id, body, now, caller.actor);
    },
  }),
  route({
    method: 'DELETE',
    path: '/connections/{id}',
    operationId: 'deleteConnection',
    summary: 'Delete a connection and every identity linked through it (the users stay)',
    tag,
    scope: 'admin:write',
    params: connectionParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await deleteConnection({ store: ctx.store }, params.id, now, caller.actor);
    },
  }),
  route({
    method: 'GET',
    path: '/users/{sub}/identities',
    operationId: 'listUserIdentities',
    summary: "A person's identities at upstream providers, oldest first",
    tag,
    scope: 'admin:read',
    params: z.strictObject({ sub: z.string().min(1).max(256) }),
    response: z.object({ items: z.array(identitySchema) }),
    async handler({ ctx, params }) {
      return { items: await listIdentities({ store: ctx.store }, params.sub) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{sub}/identities/{connection}/{upstreamSub}',
    operationId: 'unlinkUserIdentity',
    summary: 'Remove one linked identity; signing in with it again is a first sign-in',
    tag,
    scope: 'admin:write',
    params: identityParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await unlinkIdentity({ store: ctx.store }, params.sub, params.connection, params.upstreamSub, now, caller.actor);
    },
  }),
];
