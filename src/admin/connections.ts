/**
 * Upstream identity providers ("Continue with <name>", issue 13): the only code that changes connections and the
 * identities linked through them; used by the CLI and the admin API. An OpenID Connect connection is validated by
 * reading its discovery document at create; the client secret is sealed under the server secret, never stored plain
 * and never returned.
 */
import { z } from 'zod';
import { CLAIM_PATH, MAPPED_CLAIMS } from '../federation/claims.js';
import { outboundCause } from '../federation/fetch.js';
import { callbackUrl, upstreamConfig } from '../federation/relying-party.js';
import { sealClientSecret } from '../federation/secrets.js';
import { recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type ClaimMapping, type ConnectionRecord, type Store, type UserIdentityRecord } from '../storage/types.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A slug: the callback URL is `<issuer>/federation/<id>/callback`. */
export const CONNECTION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const url = z.string().max(2048).url();
const claimPath = z.string().max(200).regex(CLAIM_PATH, 'a dotted path such as id or emails.0.value');
export const claimMappingSchema = z.strictObject(Object.fromEntries(MAPPED_CLAIMS.map((c) => [c, claimPath.optional()])) as Record<(typeof MAPPED_CLAIMS)[number], z.ZodOptional<typeof claimPath>>);
const scopes = z.array(z.string().min(1).max(200).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token (RFC 6749 §3.3)')).max(50);

export const createConnectionSchema = z.strictObject({
  id: z.string().regex(CONNECTION_ID, 'lower-case letters, digits, _ and -, at most 63, starting with a letter or digit'),
  name: z.string().trim().min(1).max(100).describe('Shown on the login page: "Continue with <name>"'),
  type: z.enum(['oidc', 'oauth2']).default('oidc'),
  issuer: url.optional().describe('oidc: the issuer (its discovery document is read)'),
  authorization_endpoint: url.optional(),
  token_endpoint: url.optional(),
  userinfo_endpoint: url.optional(),
  client_id: z.string().min(1).max(255),
  client_secret: z.string().min(1).max(1024).optional().describe('Sealed under the server secret; never returned'),
  scopes: scopes.optional(),
  claim_mapping: claimMappingSchema.optional(),
  enabled: z.boolean().optional(),
});
export type CreateConnectionInput = z.input<typeof createConnectionSchema>;

export const updateConnectionSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  client_secret: z.string().min(1).max(1024).optional(),
  scopes: scopes.optional(),
  claim_mapping: claimMappingSchema.optional(),
});
export type UpdateConnectionInput = z.input<typeof updateConnectionSchema>;

export interface ConnectionsDeps {
  store: Pick<Store, 'connections' | 'identities' | 'events' | 'users'>;
  /** The server secret that seals client secrets. */
  serverSecret: Uint8Array;
  /** LATCH_FETCH_ALLOW_PRIVATE: the discovery check may reach loopback (tests). */
  allowPrivate: boolean;
  /** Latch's issuer: for the callback URL. */
  issuer: string;
}

/** A connection as operators see it: never its secret. */
export interface ConnectionView {
  id: string;
  name: string;
  type: ConnectionRecord['type'];
  issuer: string | null;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  userinfo_endpoint: string | null;
  client_id: string;
  has_client_secret: boolean;
  scopes: string[];
  claim_mapping: ClaimMapping;
  enabled: boolean;
  callback_url: string;
  created_at: number;
  updated_at: number;
}

export function connectionView(c: ConnectionRecord, issuer: string): ConnectionView {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    issuer: c.issuer,
    authorization_endpoint: c.authorizationEndpoint,
    token_endpoint: c.tokenEndpoint,
    userinfo_endpoint: c.userinfoEndpoint,
    client_id: c.clientId,
    has_client_secret: c.clientSecretEncrypted !== null,
    scopes: c.scopes,
    claim_mapping: c.claimMapping,
    enabled: c.enabled,
    callback_url: callbackUrl(issuer, c.id),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/** zod's first complaint as an AdminInputError naming the field. */
function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? String(issue.keys[0]) : 'connection';
  throw new AdminInputError(field, issue.message);
}

function mapping(input: Record<string, string | undefined> | undefined): ClaimMapping {
  return Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined)) as ClaimMapping;
}

export async function createConnection(deps: ConnectionsDeps, raw: CreateConnectionInput, now = nowSeconds(), by?: Actor): Promise<ConnectionView> {
  const input = parse(createConnectionSchema, raw);
  const https = (field: string, value: string | undefined) => {
    // Every URL fetched for a connection is https (loopback http only with LATCH_FETCH_ALLOW_PRIVATE).
    if (value !== undefined && !value.startsWith('https://') && !(deps.allowPrivate && /^http:\/\/(localhost|127\.[0-9.]+|\[::1\])(:\d+)?\//.test(value + '/'))) {
      throw new AdminInputError(field, 'must be an https URL');
    }
  };
  https('issuer', input.issuer);
  https('authorization_endpoint', input.authorization_endpoint);
  https('token_endpoint', input.token_endpoint);
  https('userinfo_endpoint', input.userinfo_endpoint);
  if (input.type === 'oidc' && input.issuer === undefined) throw new AdminInputError('issuer', 'is required for an OpenID Connect connection');
  if (input.type === 'oauth2') {
    for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint'] as const) {
      if (input[field] === undefined) throw new AdminInputError(field, 'is required for an OAuth 2.0 connection');
    }
  }
  if (await deps.store.connections.find(input.id)) throw new AdminInputError('id', `a connection ${input.id} already exists`);
  const record: ConnectionRecord = {
    id: input.id,
    name: input.name,
    type: input.type,
    issuer: input.issuer ?? null,
    authorizationEndpoint: input.authorization_endpoint ?? null,
    tokenEndpoint: input.token_endpoint ?? null,
    userinfoEndpoint: input.userinfo_endpoint ?? null,
    clientId: input.client_id,
    clientSecretEncrypted: input.client_secret === undefined ? null : await sealClientSecret(input.client_secret, deps.serverSecret, input.id),
    scopes: input.scopes ?? (input.type === 'oidc' ? ['openid', 'email', 'profile'] : []),
    claimMapping: mapping(input.claim_mapping),
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  if (record.type === 'oidc') {
    try {
      await upstreamConfig(record, { serverSecret: deps.serverSecret, allowPrivate: deps.allowPrivate });
    } catch (err) {
      const why = outboundCause(err)?.message ?? (err as Error).message;
      throw new AdminInputError('issuer', `cannot read the discovery document of ${input.issuer}: ${why}`);
    }
  }
  try {
    await deps.store.connections.create(record);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new AdminInputError('id', `a connection ${input.id} already exists`);
    throw err;
  }
  await recordEvent(deps.store, { type: 'connection.created', by, data: { connection: record.id, type: record.type } }, now);
  return connectionView(record, deps.issuer);
}

export async function listConnections(deps: Pick<ConnectionsDeps, 'store' | 'issuer'>): Promise<ConnectionView[]> {
  return (await deps.store.connections.list()).map((c) => connectionView(c, deps.issuer));
}

export async function getConnection(deps: Pick<ConnectionsDeps, 'store' | 'issuer'>, id: string): Promise<ConnectionView> {
  const record = await deps.store.connections.find(id);
  if (!record) throw new AdminNotFoundError('connection', id);
  return connectionView(record, deps.issuer);
}

export async function updateConnection(deps: ConnectionsDeps, id: string, raw: UpdateConnectionInput, now = nowSeconds(), by?: Actor): Promise<ConnectionView> {
  const input = parse(updateConnectionSchema, raw);
  if (!(await deps.store.connections.find(id))) throw new AdminNotFoundError('connection', id);
  const patch: Parameters<ConnectionsDeps['store']['connections']['update']>[1] = { updatedAt: now };
  if (input.name !== undefined) patch.name = input.name;
  if (input.enabled !== undefined) patch.enabled = input.enabled;
  if (input.scopes !== undefined) patch.scopes = input.scopes;
  if (input.claim_mapping !== undefined) patch.claimMapping = mapping(input.claim_mapping);
  if (input.client_secret !== undefined) patch.clientSecretEncrypted = await sealClientSecret(input.client_secret, deps.serverSecret, id);
  if (!(await deps.store.connections.update(id, patch))) throw new AdminNotFoundError('connection', id);
  const changed = Object.keys(input).sort();
  await recordEvent(deps.store, { type: 'connection.updated', by, data: { connection: id, changed } }, now);
  return getConnection(deps, id);
}

/** Deletes the connection and every identity linked through it (the users stay). */
export async function deleteConnection(deps: Pick<ConnectionsDeps, 'store'>, id: string, now = nowSeconds(), by?: Actor): Promise<void> {
  if (!(await deps.store.connections.delete(id))) throw new AdminNotFoundError('connection', id);
  await recordEvent(deps.store, { type: 'connection.deleted', by, data: { connection: id } }, now);
}

export interface IdentityView {
  connection: string;
  upstream_sub: string;
  sub: string;
  email: string | null;
  created_at: number;
  last_used_at: number | null;
}

export function identityView(i: UserIdentityRecord): IdentityView {
  return { connection: i.connectionId, upstream_sub: i.upstreamSub, sub: i.sub, email: i.email, created_at: i.createdAt, last_used_at: i.lastUsedAt };
}

export async function listIdentities(deps: Pick<ConnectionsDeps, 'store'>, sub: string): Promise<IdentityView[]> {
  if (!(await deps.store.users.findBySub(sub))) throw new AdminNotFoundError('user', sub);
  return (await deps.store.identities.listBySub(sub)).map(identityView);
}

/** Removes one linked identity of the user; the next sign-in with it is a first sign-in again. */
export async function unlinkIdentity(deps: Pick<ConnectionsDeps, 'store'>, sub: string, connectionId: string, upstreamSub: string, now = nowSeconds(), by?: Actor): Promise<void> {
  const identity = await deps.store.identities.find(connectionId, upstreamSub);
  if (!identity || identity.sub !== sub) throw new AdminNotFoundError('identity', `${connectionId}/${upstreamSub}`);
  await deps.store.identities.delete(connectionId, upstreamSub);
  await recordEvent(deps.store, { type: 'identity.unlinked', by, sub, data: { connection: connectionId, upstream_sub: upstreamSub } }, now);
}
