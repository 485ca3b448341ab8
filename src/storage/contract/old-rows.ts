/**
 * Rows as migration 001 shaped them, for tests that put data into a database at an older migration than the
 * repositories (which write today's columns) expect.
 */
import type { Kysely } from 'kysely';
import type { OpenedStore } from '../open.js';
import type { ClientRecord, UserRecord } from '../types.js';

function raw(store: OpenedStore): Kysely<any> {
  return store.kysely as unknown as Kysely<any>;
}

export async function insertOldClient(store: OpenedStore, client: ClientRecord): Promise<void> {
  await raw(store)
    .insertInto('clients')
    .values({ client_id: client.clientId, client_secret_digest: client.clientSecretDigest, metadata: JSON.stringify(client.metadata), created_at: client.createdAt })
    .execute();
}

export async function insertOldUser(store: OpenedStore, user: UserRecord): Promise<void> {
  await raw(store)
    .insertInto('users')
    .values({
      sub: user.sub,
      email: user.email,
      email_verified: user.emailVerified,
      password_hash: user.passwordHash,
      profile: JSON.stringify(user.profile),
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    })
    .execute();
}
