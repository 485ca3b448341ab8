import { CLI_ACTOR, recordEvent, type Actor } from '../observability/events.js';
import type { ClientRecord, GrantRecord, Page, PageQuery, Store } from '../storage/types.js';
import { AdminNotFoundError } from './errors.js';
import { findUser } from './users.js';

export { AdminNotFoundError } from './errors.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface GrantView {
  grant: GrantRecord;
  /** The client, when it still exists. */
  client: ClientRecord | undefined;
}

/** The grants a person gave to applications (every code, access and refresh token descends from one), oldest first. */
export async function listGrants(store: Store, subOrEmail: string): Promise<GrantView[]> {
  const user = await findUser(store, subOrEmail);
  if (!user) throw new AdminNotFoundError('user', subOrEmail);
  const grants = await store.grants.listBySub(user.sub);
  const clients = new Map<string, ClientRecord | undefined>();
  for (const grant of grants) {
    if (!clients.has(grant.clientId)) clients.set(grant.clientId, await store.clients.find(grant.clientId));
  }
  return grants.map((grant) => ({ grant, client: clients.get(grant.clientId) }));
}

async function withClients(store: Pick<Store, 'clients'>, grants: GrantRecord[]): Promise<GrantView[]> {
  const clients = new Map<string, ClientRecord | undefined>();
  for (const grant of grants) {
    if (!clients.has(grant.clientId)) clients.set(grant.clientId, await store.clients.find(grant.clientId));
  }
  return grants.map((grant) => ({ grant, client: clients.get(grant.clientId) }));
}

/** One page of grants, newest first, of a user and/or a client (both optional); revoked grants included. */
export async function pageGrants(
  store: Pick<Store, 'grants' | 'clients'>,
  filter: { sub?: string | undefined; clientId?: string | undefined },
  query: PageQuery,
): Promise<Page<GrantView>> {
  const page = await store.grants.page(
    { ...(filter.sub !== undefined ? { sub: filter.sub } : {}), ...(filter.clientId !== undefined ? { clientId: filter.clientId } : {}) },
    query,
  );
  return { items: await withClients(store, page.items), nextCursor: page.nextCursor };
}

/**
 * Revokes a grant and every token issued from it (RFC 7009 §2.1 semantics, from the operator's side): refresh
 * tokens stop working at once, opaque and JWT access tokens fail introspection. Revoking twice is harmless.
 */
export async function revokeGrant(
  store: Pick<Store, 'grants'> & Partial<Pick<Store, 'events'>>,
  grantId: string,
  now = nowSeconds(),
  by: Actor = CLI_ACTOR,
): Promise<GrantRecord> {
  const grant = await store.grants.find(grantId);
  if (!grant || !(await store.grants.revoke(grantId, now))) throw new AdminNotFoundError('grant', grantId);
  if (store.events && grant.revokedAt === null) {
    await recordEvent({ events: store.events }, { type: 'grant.revoked', by, sub: grant.sub, clientId: grant.clientId, data: { grant_id: grantId } }, now);
  }
  return (await store.grants.find(grantId)) ?? { ...grant, revokedAt: now };
}

export function grantToJson({ grant, client }: { grant: GrantRecord; client?: ClientRecord | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    grant_id: grant.grantId,
    client_id: grant.clientId,
  };
  if (client) out.client_name = client.metadata.client_name;
  out.sub = grant.sub;
  out.scope = grant.scope;
  out.created_at = grant.createdAt;
  out.revoked_at = grant.revokedAt;
  return out;
}
