/**
 * What every Latch has from its first start: the admin API as an API of its own (`urn:latch:admin`, RFC 8707
 * resource indicator) and the console as a public client of it. Both are ensured at every start, so that a new
 * issuer URL moves the console's redirect URIs with it, and several instances starting at once agree.
 */
import { StorageConflictError, type ApiRecord, type ClientRecord, type Store } from '../storage/types.js';
import { buildApi } from './apis.js';
import { buildClientMetadata } from './client-metadata.js';

export const ADMIN_API = 'urn:latch:admin';
export const ADMIN_READ = 'admin:read';
export const ADMIN_WRITE = 'admin:write';
export const ADMIN_SCOPES = [ADMIN_READ, ADMIN_WRITE] as const;
/** The role that lets a person into the console and gives their tokens the admin scopes. */
export const ADMIN_ROLE = 'admin';
export const CONSOLE_CLIENT_ID = 'latch-console';
/** Admin tokens are opaque, so that every call checks revocation, a disabled user and a removed role at once. */
const ADMIN_TOKEN_TTL = 900;

export function consoleRedirectUri(issuer: string): string {
  return `${issuer}/console/callback`;
}

export function adminApiRecord(now: number): ApiRecord {
  return {
    ...buildApi({ identifier: ADMIN_API, name: 'Latch admin API', scopes: [...ADMIN_SCOPES], tokenFormat: 'opaque', accessTokenTtl: ADMIN_TOKEN_TTL }, now),
    scopeDescriptions: { [ADMIN_READ]: 'See every setting, application and person of this Latch', [ADMIN_WRITE]: 'Change every setting, application and person of this Latch' },
  };
}

export function consoleClientRecord(issuer: string, now: number): ClientRecord {
  const metadata = buildClientMetadata({
    name: 'Latch console',
    kind: 'spa',
    redirectUris: [consoleRedirectUri(issuer)],
    postLogoutRedirectUris: [`${issuer}/console/`],
    extraScopes: [...ADMIN_SCOPES],
    defaultResource: ADMIN_API,
  });
  return { clientId: CONSOLE_CLIENT_ID, clientSecretDigest: null, previousSecret: null, metadata, createdAt: now };
}

async function ignoreConflict(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    // Another instance starting at the same moment created it first.
    if (!(err instanceof StorageConflictError)) throw err;
  }
}

export async function ensureBuiltins(store: Pick<Store, 'apis' | 'clients'>, issuer: string, now = Math.floor(Date.now() / 1000)): Promise<void> {
  const api = adminApiRecord(now);
  const existingApi = await store.apis.find(ADMIN_API);
  if (!existingApi) await ignoreConflict(() => store.apis.create(api));
  else if (ADMIN_SCOPES.some((s) => !existingApi.scopes.includes(s)) || existingApi.tokenFormat !== 'opaque') {
    await store.apis.update(ADMIN_API, { scopes: api.scopes, scopeDescriptions: api.scopeDescriptions, tokenFormat: 'opaque' });
  }

  const client = consoleClientRecord(issuer, now);
  const existing = await store.clients.find(CONSOLE_CLIENT_ID);
  if (!existing) await ignoreConflict(() => store.clients.create(client));
  else if (JSON.stringify(existing.metadata) !== JSON.stringify(client.metadata)) {
    await store.clients.update(CONSOLE_CLIENT_ID, { metadata: client.metadata });
  }
}
