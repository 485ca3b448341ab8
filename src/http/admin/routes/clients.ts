import { z } from 'zod';
import {
  AUTH_METHODS,
  CLIENT_KINDS,
  clientToJson,
  createClient,
  deleteClient,
  getClient,
  listClients,
  MAX_SECRET_GRACE,
  rotateClientSecret,
  updateClient,
  type ClientPatch,
  type CreateClientInput,
} from '../../../admin/clients.js';
import type { ClientKind, TokenEndpointAuthMethod } from '../../../storage/types.js';
import { pageOf, pageQuery, pageQueryShape, route, searchShape, unixTime } from '../route.js';

const uri = z.string().max(2048);
const uris = z.array(uri).max(100);
const kind = z.enum(CLIENT_KINDS as [ClientKind, ...ClientKind[]]);
const authMethod = z.enum(AUTH_METHODS as [TokenEndpointAuthMethod, ...TokenEndpointAuthMethod[]]);
const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).describe('A JWK Set of public keys (RFC 7517 §5)');

/** The members beyond the core ones (admin/client-metadata-members.ts checks their values). */
const extendedShape = {
  contacts: z.array(z.string().max(254)).max(20),
  jwks_uri: uri,
  token_endpoint_auth_signing_alg: z.string().max(20),
  require_auth_time: z.boolean(),
  default_max_age: z.number().int().min(0),
  userinfo_signed_response_alg: z.string().max(20),
  request_object_signing_alg: z.string().max(20),
  require_signed_request_object: z.boolean(),
  require_pushed_authorization_requests: z.boolean(),
  dpop_bound_access_tokens: z.boolean(),
  backchannel_logout_uri: uri,
  backchannel_logout_session_required: z.boolean(),
  frontchannel_logout_uri: uri,
  frontchannel_logout_session_required: z.boolean(),
  subject_type: z.enum(['public', 'pairwise']),
  sector_identifier_uri: uri,
  request_uris: z.array(uri).max(20),
  latch_profile: z.enum(['fapi2']),
} as const;
type ExtendedKey = keyof typeof extendedShape;
const extendedKeys = Object.keys(extendedShape) as ExtendedKey[];
const optionalExtended = Object.fromEntries(extendedKeys.map((k) => [k, extendedShape[k].optional()])) as { [K in ExtendedKey]: z.ZodOptional<(typeof extendedShape)[K]> };
const nullableExtended = Object.fromEntries(extendedKeys.map((k) => [k, extendedShape[k].nullable().optional()])) as {
  [K in ExtendedKey]: z.ZodOptional<z.ZodNullable<(typeof extendedShape)[K]>>;
};

/** The extended members a body gives, for CreateClientInput.members / ClientPatch.members. */
function membersOf(body: Partial<Record<ExtendedKey, unknown>>): Record<string, unknown> | undefined {
  const members = Object.fromEntries(extendedKeys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  return Object.keys(members).length > 0 ? members : undefined;
}

export const clientSchema = z
  .object({
    client_id: z.string(),
    client_id_issued_at: unixTime,
    client_name: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    token_endpoint_auth_method: authMethod,
    scope: z.string().describe('Space-separated scopes the client may request'),
    application_type: z.enum(['web', 'native']),
    id_token_signed_response_alg: z.string(),
    jwks: jwks.optional(),
    latch_client_kind: kind,
    latch_default_resource: z.string().optional(),
    allowed_cors_origins: z.array(z.string()).optional(),
    default_acr_values: z.array(z.string()).optional().describe('OIDC Dynamic Client Registration: acr values every sign-in needs (urn:latch:acr:mfa, phr)'),
    logo_uri: z.string().optional(),
    client_uri: z.string().optional(),
    policy_uri: z.string().optional(),
    tos_uri: z.string().optional(),
    ...optionalExtended,
    latch_registered: z.boolean().optional().describe('Made by POST /register (RFC 7591): never admin scopes or the admin API'),
    previous_secret_expires_at: unixTime.optional().describe('After a secret rotation with grace: when the old secret stops working'),
  });

const withSecret = clientSchema
  .extend({
    client_secret: z.string().optional().describe('Shown only in this answer; Latch keeps only its digest'),
    client_secret_expires_at: z.literal(0).optional(),
  });

const clientParams = z.strictObject({ client_id: z.string().min(1).max(128) });

const createBody = z.strictObject({
  client_name: z.string().min(1).max(200),
  latch_client_kind: kind.describe('web, spa, native, m2m or device: decides the defaults (latch clients advise)'),
  client_id: z.string().max(128).optional(),
  redirect_uris: uris.optional(),
  post_logout_redirect_uris: uris.optional(),
  grant_types: z.array(z.string()).max(10).optional(),
  response_types: z.array(z.string()).max(10).optional(),
  scope: z.string().max(2000).optional().describe("Space-separated; replaces the kind's default scopes"),
  token_endpoint_auth_method: authMethod.optional(),
  jwks: jwks.optional(),
  id_token_signed_response_alg: z.string().optional(),
  latch_default_resource: uri.optional(),
  allowed_cors_origins: uris.optional(),
  default_acr_values: z.array(z.string().max(200)).max(5).optional(),
  logo_uri: uri.optional(),
  client_uri: uri.optional(),
  policy_uri: uri.optional(),
  tos_uri: uri.optional(),
  ...optionalExtended,
});

const patchBody = z.strictObject({
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: uris.optional(),
  post_logout_redirect_uris: uris.optional(),
  grant_types: z.array(z.string()).max(10).optional(),
  response_types: z.array(z.string()).max(10).optional(),
  scope: z.string().max(2000).optional(),
  logo_uri: uri.nullable().optional().describe('null removes it'),
  client_uri: uri.nullable().optional(),
  policy_uri: uri.nullable().optional(),
  tos_uri: uri.nullable().optional(),
  allowed_cors_origins: uris.optional(),
  default_acr_values: z.array(z.string().max(200)).max(5).optional().describe('[] removes them'),
  ...nullableExtended,
});

function createInput(body: z.output<typeof createBody>): CreateClientInput {
  const input: CreateClientInput = { name: body.client_name, kind: body.latch_client_kind };
  if (body.client_id !== undefined) input.clientId = body.client_id;
  if (body.redirect_uris !== undefined) input.redirectUris = body.redirect_uris;
  if (body.post_logout_redirect_uris !== undefined) input.postLogoutRedirectUris = body.post_logout_redirect_uris;
  if (body.grant_types !== undefined) input.grantTypes = body.grant_types;
  if (body.response_types !== undefined) input.responseTypes = body.response_types;
  if (body.scope !== undefined) input.scopes = [body.scope];
  if (body.token_endpoint_auth_method !== undefined) input.tokenEndpointAuthMethod = body.token_endpoint_auth_method;
  if (body.jwks !== undefined) input.jwks = body.jwks as unknown as NonNullable<CreateClientInput['jwks']>;
  if (body.id_token_signed_response_alg !== undefined) input.idTokenSignedResponseAlg = body.id_token_signed_response_alg;
  if (body.latch_default_resource !== undefined) input.defaultResource = body.latch_default_resource;
  if (body.allowed_cors_origins !== undefined) input.allowedCorsOrigins = body.allowed_cors_origins;
  if (body.default_acr_values !== undefined) input.defaultAcrValues = body.default_acr_values;
  if (body.logo_uri !== undefined) input.logoUri = body.logo_uri;
  if (body.client_uri !== undefined) input.clientUri = body.client_uri;
  if (body.policy_uri !== undefined) input.policyUri = body.policy_uri;
  if (body.tos_uri !== undefined) input.tosUri = body.tos_uri;
  const members = membersOf(body);
  if (members) input.members = members;
  return input;
}

const tag = 'clients';

export const clientRoutes = [
  route({
    method: 'GET',
    path: '/clients',
    operationId: 'listClients',
    summary: 'List clients, oldest first (q searches client_id and client_name)',
    tag,
    scope: 'admin:read',
    query: z.strictObject({ ...pageQueryShape, ...searchShape }),
    response: pageOf(clientSchema),
    async handler({ ctx, query }) {
      const page = await listClients(ctx.store, pageQuery(query));
      return { items: page.items.map((c) => clientToJson(c)) as z.input<typeof clientSchema>[], next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'POST',
    path: '/clients',
    operationId: 'createClient',
    summary: 'Register a client; a client secret, when there is one, is in this answer only',
    tag,
    scope: 'admin:write',
    body: createBody,
    response: withSecret,
    status: 201,
    async handler({ ctx, body, caller, now }) {
      const { client, clientSecret } = await createClient(ctx.store, createInput(body), now, caller.actor, { allowPrivate: ctx.config.fetchAllowPrivate });
      return clientToJson(client, clientSecret) as z.input<typeof withSecret>;
    },
  }),
  route({
    method: 'GET',
    path: '/clients/{client_id}',
    operationId: 'getClient',
    summary: 'Show one client',
    tag,
    scope: 'admin:read',
    params: clientParams,
    response: clientSchema,
    async handler({ ctx, params }) {
      return clientToJson(await getClient(ctx.store, params.client_id)) as z.input<typeof clientSchema>;
    },
  }),
  route({
    method: 'PATCH',
    path: '/clients/{client_id}',
    operationId: 'updateClient',
    summary: 'Change a client (RFC 7591 names); the result is checked like a new client',
    tag,
    scope: 'admin:write',
    params: clientParams,
    body: patchBody,
    response: clientSchema,
    async handler({ ctx, params, body, caller, now }) {
      const patch: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([k]) => !(extendedKeys as string[]).includes(k)));
      const members = membersOf(body);
      if (members) patch.members = members;
      const policy = { allowPrivate: ctx.config.fetchAllowPrivate };
      return clientToJson(await updateClient(ctx.store, params.client_id, patch as ClientPatch, caller.actor, now, policy)) as z.input<typeof clientSchema>;
    },
  }),
  route({
    method: 'DELETE',
    path: '/clients/{client_id}',
    operationId: 'deleteClient',
    summary: 'Delete a client and everything issued to it',
    tag,
    scope: 'admin:write',
    params: clientParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await deleteClient(ctx.store, params.client_id, caller.actor, now);
    },
  }),
  route({
    method: 'POST',
    path: '/clients/{client_id}/secret',
    operationId: 'rotateClientSecret',
    summary: 'A new client secret, in this answer only; the old one keeps working for grace_seconds (default 0)',
    tag,
    scope: 'admin:write',
    params: clientParams,
    body: z.strictObject({ grace_seconds: z.number().int().min(0).max(MAX_SECRET_GRACE).optional() }),
    bodyOptional: true,
    response: z.object({
      client_id: z.string(),
      client_secret: z.string(),
      client_secret_expires_at: z.literal(0),
      previous_secret_expires_at: unixTime.nullable().describe('When the old secret stops working; null: it already has'),
    }),
    async handler({ ctx, params, body, caller, now }) {
      const { client, clientSecret } = await rotateClientSecret(ctx.store, params.client_id, { graceSeconds: body.grace_seconds ?? 0 }, caller.actor, now);
      return {
        client_id: client.clientId,
        client_secret: clientSecret,
        client_secret_expires_at: 0 as const,
        previous_secret_expires_at: client.previousSecret?.expiresAt ?? null,
      };
    },
  }),
];
