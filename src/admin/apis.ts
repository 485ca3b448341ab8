import { standardScopes } from '../core/oidc/claims.js';
import { CLI_ACTOR, recordEvent, type Actor } from '../observability/events.js';
import { StorageConflictError, type AccessTokenFormat, type ApiRecord, type Page, type PageQuery, type Store } from '../storage/types.js';
import { ADMIN_API, ADMIN_SCOPES } from './builtins.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';
import { pageInMemory } from './paging.js';

export { AdminInputError, AdminNotFoundError } from './errors.js';

export interface CreateApiInput {
  /** The resource indicator and token audience, e.g. https://photos.example. */
  identifier: string;
  name?: string;
  scopes?: string[];
  tokenFormat?: AccessTokenFormat;
  /** Access token lifetime in seconds. */
  accessTokenTtl?: number;
  signingAlg?: string;
  /**
   * Confidential clients that may introspect this API's access tokens (RFC 7662 §4), typically the resource
   * server's own client. The client a token was issued to may always introspect it.
   */
  introspectionClients?: string[];
  /** What each scope lets a client do, in the person's words (the consent page shows it). */
  scopeDescriptions?: Record<string, string>;
}

/** The longest scope description: one line on the consent page. */
export const MAX_SCOPE_DESCRIPTION = 200;

export const TOKEN_FORMATS: readonly AccessTokenFormat[] = ['jwt', 'opaque'];
export const ACCESS_TOKEN_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
export const DEFAULT_API_TTL = 3600;
/** A day: access tokens are short-lived; use refresh tokens for longer access. */
export const MAX_API_TTL = 86_400;

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** RFC 8707 §2: the identifier is an absolute URI without a fragment; Latch also wants no credentials or query. */
export function checkApiIdentifier(identifier: string, field = 'identifier'): string {
  const value = identifier.trim();
  if (value === '') throw new AdminInputError(field, 'is required (an absolute URI such as https://api.example.com)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AdminInputError(field, `"${value}" is not an absolute URI (e.g. https://api.example.com)`);
  }
  // RFC 8707 §2: "It MUST NOT include a fragment component."
  if (value.includes('#')) throw new AdminInputError(field, `"${value}" must not contain a fragment (#)`);
  // RFC 8707 §2: "SHOULD NOT include a query component".
  if (url.search !== '' || value.includes('?')) throw new AdminInputError(field, `"${value}" should not contain a query (?)`);
  if (url.username !== '' || url.password !== '') throw new AdminInputError(field, `"${value}" must not contain credentials`);
  if (value.length > 2048) throw new AdminInputError(field, 'is longer than 2048 characters');
  return value;
}

function checkScopes(scopes: string[]): string[] {
  const tokens = [...new Set(scopes.flatMap((s) => s.split(/\s+/)).filter(Boolean))];
  const identity = new Set<string>(standardScopes);
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new AdminInputError('scopes', `"${token}" is not a valid scope token (RFC 6749 §3.3)`);
    if (identity.has(token)) {
      throw new AdminInputError('scopes', `"${token}" is an OpenID Connect scope about the person, not an API scope`);
    }
  }
  return tokens;
}

export function buildApi(input: CreateApiInput, now = nowSeconds()): ApiRecord {
  const identifier = checkApiIdentifier(input.identifier ?? '');
  const name = (input.name ?? new URL(identifier).host ?? identifier).trim() || identifier;
  const scopes = checkScopes(input.scopes ?? []);
  const tokenFormat = input.tokenFormat ?? 'jwt';
  if (!TOKEN_FORMATS.includes(tokenFormat)) {
    throw new AdminInputError('token_format', `"${String(tokenFormat)}" is not one of ${TOKEN_FORMATS.join(', ')}`);
  }
  const ttl = input.accessTokenTtl ?? DEFAULT_API_TTL;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_API_TTL) {
    throw new AdminInputError('access_token_ttl', `must be a whole number of seconds from 1 to ${MAX_API_TTL}`);
  }
  const signingAlg = input.signingAlg ?? 'ES256';
  if (!ACCESS_TOKEN_ALGS.includes(signingAlg)) {
    throw new AdminInputError('signing_alg', `"${signingAlg}" is not one of ${ACCESS_TOKEN_ALGS.join(', ')}`);
  }
  const introspectionClients = [...new Set((input.introspectionClients ?? []).map((id) => id.trim()).filter(Boolean))];
  const scopeDescriptions = checkScopeDescriptions(input.scopeDescriptions ?? {}, scopes);
  return { identifier, name, scopes, tokenFormat, accessTokenTtl: ttl, signingAlg, scopeDescriptions, introspectionClients, createdAt: now };
}

function checkScopeDescriptions(descriptions: Record<string, string>, scopes: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [scope, text] of Object.entries(descriptions)) {
    const field = `scope_descriptions.${scope}`;
    if (!scopes.includes(scope)) throw new AdminInputError(field, `"${scope}" is not one of the API's scopes (${scopes.join(' ') || 'none'})`);
    const description = String(text).trim();
    if (description === '') throw new AdminInputError(field, 'is empty; leave the scope out instead');
    if (description.length > MAX_SCOPE_DESCRIPTION) throw new AdminInputError(field, `is longer than ${MAX_SCOPE_DESCRIPTION} characters`);
    out[scope] = description;
  }
  return out;
}

/** `latch apis create --scope 'read:photos=See your photos'`: a scope and, after the first `=`, its description. */
export function parseScopeArguments(values: readonly string[]): { scopes: string[]; scopeDescriptions: Record<string, string> } {
  const scopes: string[] = [];
  const scopeDescriptions: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      scopes.push(value);
      continue;
    }
    const scope = value.slice(0, eq).trim();
    scopes.push(scope);
    scopeDescriptions[scope] = value.slice(eq + 1);
  }
  return { scopes, scopeDescriptions };
}

/** RFC 7662 §2.1: introspection needs client authentication, so only a known confidential client can be allowed. */
async function checkIntrospectionClients(clients: Store['clients'], ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const client = await clients.find(id);
    if (!client) throw new AdminInputError('introspection_clients', `no client with client_id "${id}" (create it first: latch clients create --type m2m)`);
    if (client.metadata.token_endpoint_auth_method === 'none') {
      throw new AdminInputError('introspection_clients', `client "${id}" is public; only a confidential client can authenticate to /introspect`);
    }
  }
}

export async function createApi(
  store: Pick<Store, 'apis' | 'clients' | 'events'>,
  input: CreateApiInput,
  now = nowSeconds(),
  by: Actor = CLI_ACTOR,
): Promise<ApiRecord> {
  const api = buildApi(input, now);
  await checkIntrospectionClients(store.clients, api.introspectionClients);
  try {
    await store.apis.create(api);
  } catch (err) {
    if (err instanceof StorageConflictError) throw new AdminInputError('identifier', `an API with identifier ${api.identifier} already exists`);
    throw err;
  }
  await recordEvent(store, { type: 'api.created', by, data: { identifier: api.identifier, name: api.name } }, now);
  return api;
}

/** Every API, oldest first, as one page (there are few; `q` searches the identifier and the name). */
export async function listApis(store: Pick<Store, 'apis'>, query: PageQuery): Promise<Page<ApiRecord>> {
  const q = query.q?.toLowerCase();
  const all = (await store.apis.list())
    .filter((a) => q === undefined || a.identifier.toLowerCase().includes(q) || a.name.toLowerCase().includes(q))
    .sort((a, b) => a.createdAt - b.createdAt || (a.identifier < b.identifier ? -1 : 1));
  return pageInMemory(all, query, (a) => a.identifier);
}

/** What an operator may change of an API (snake_case, as in apiToJson); never the identifier. */
export interface ApiPatch {
  name?: string | undefined;
  scopes?: string[] | undefined;
  scope_descriptions?: Record<string, string> | undefined;
  token_format?: AccessTokenFormat | undefined;
  access_token_ttl?: number | undefined;
  signing_alg?: string | undefined;
  introspection_clients?: string[] | undefined;
}

/** Changes what `patch` gives, checked like a new API; nothing is written when a check fails. */
export async function updateApi(
  store: Pick<Store, 'apis' | 'clients' | 'events'>,
  identifier: string,
  patch: ApiPatch,
  by: Actor = CLI_ACTOR,
  now = nowSeconds(),
): Promise<ApiRecord> {
  const api = await findApi(store, identifier);
  const fields = Object.keys(patch).filter((k) => patch[k as keyof ApiPatch] !== undefined).sort();
  if (fields.length === 0) return api;
  const scopes = patch.scopes ?? api.scopes;
  // Descriptions of scopes the patch removes go with them, unless the patch gives descriptions of its own.
  const descriptions = patch.scope_descriptions ?? Object.fromEntries(Object.entries(api.scopeDescriptions ?? {}).filter(([s]) => scopes.includes(s)));
  const next = buildApi(
    {
      identifier: api.identifier,
      name: patch.name ?? api.name,
      scopes,
      tokenFormat: patch.token_format ?? api.tokenFormat,
      accessTokenTtl: patch.access_token_ttl ?? api.accessTokenTtl,
      signingAlg: patch.signing_alg ?? api.signingAlg,
      introspectionClients: patch.introspection_clients ?? api.introspectionClients,
      scopeDescriptions: descriptions,
    },
    api.createdAt,
  );
  if (api.identifier === ADMIN_API) {
    // The admin API's tokens are opaque so that every call checks revocation, a disabled user and a removed role.
    if (next.tokenFormat !== 'opaque') throw new AdminInputError('token_format', `${ADMIN_API} is built in; its tokens stay opaque`);
    const missing = ADMIN_SCOPES.filter((s) => !next.scopes.includes(s));
    if (missing.length > 0) throw new AdminInputError('scopes', `${ADMIN_API} is built in; it keeps the scopes ${missing.join(' ')}`);
  }
  await checkIntrospectionClients(store.clients, next.introspectionClients);
  const { identifier: _id, createdAt: _created, ...changes } = next;
  if (!(await store.apis.update(identifier, changes))) throw new AdminNotFoundError('api', identifier);
  await recordEvent(store, { type: 'api.updated', by, data: { identifier, fields } }, now);
  return next;
}

export async function findApi(store: Pick<Store, 'apis'>, identifier: string): Promise<ApiRecord> {
  const api = await store.apis.find(identifier);
  if (!api) throw new AdminNotFoundError('api', identifier);
  return api;
}

/** Replaces the clients allowed to introspect the API's access tokens (RFC 7662 §4); an empty list leaves only each token's own client. */
export async function setIntrospectionClients(store: Pick<Store, 'apis' | 'clients'>, identifier: string, clientIds: string[]): Promise<ApiRecord> {
  await findApi(store, identifier);
  const ids = [...new Set(clientIds.map((id) => id.trim()).filter(Boolean))];
  await checkIntrospectionClients(store.clients, ids);
  if (!(await store.apis.setIntrospectionClients(identifier, ids))) throw new AdminNotFoundError('api', identifier);
  return findApi(store, identifier);
}

/** Deletes the API; tokens issued for it stop passing introspection (JWTs stay valid until they expire). */
export async function deleteApi(store: Pick<Store, 'apis' | 'events'>, identifier: string, now = nowSeconds(), by: Actor = CLI_ACTOR): Promise<ApiRecord> {
  if (identifier === ADMIN_API) throw new AdminInputError('identifier', `${ADMIN_API} is the built-in admin API; it cannot be deleted`);
  const api = await findApi(store, identifier);
  if (!(await store.apis.delete(identifier, now))) throw new AdminNotFoundError('api', identifier);
  await recordEvent(store, { type: 'api.deleted', by, data: { identifier } }, now);
  return api;
}

/** The operator's view of an API, in snake_case like the rest of the JSON output. */
export function apiToJson(api: ApiRecord): Record<string, unknown> {
  return {
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes,
    scope_descriptions: api.scopeDescriptions ?? {},
    token_format: api.tokenFormat,
    access_token_ttl: api.accessTokenTtl,
    signing_alg: api.signingAlg,
    introspection_clients: api.introspectionClients,
    created_at: api.createdAt,
  };
}
