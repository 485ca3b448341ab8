import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ConnectionsTable, Database, FederationStatesTable, UserIdentitiesTable } from '../database.js';
import type {
  ClaimMapping,
  ConnectionRecord,
  ConnectionsRepository,
  ConnectionType,
  FederationStateRecord,
  FederationStatesRepository,
  UserIdentitiesRepository,
  UserIdentityRecord,
} from '../types.js';
import { affected, fromBool, fromJson, insertOnce, toJson } from './codec.js';

/** Federation (issue 13): upstream providers, the identities linked through them, and sign-ins in progress. */
function toConnection(row: Selectable<ConnectionsTable>): ConnectionRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ConnectionType,
    issuer: row.issuer,
    authorizationEndpoint: row.authorization_endpoint,
    tokenEndpoint: row.token_endpoint,
    userinfoEndpoint: row.userinfo_endpoint,
    clientId: row.client_id,
    clientSecretEncrypted: row.client_secret_encrypted,
    scopes: fromJson<string[]>(row.scopes),
    claimMapping: fromJson<ClaimMapping>(row.claim_mapping),
    enabled: fromBool(row.enabled),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function connectionsRepository(db: Kysely<Database>): ConnectionsRepository {
  return {
    async create(c) {
      await insertOnce(`connection ${c.id}`, () =>
        db
          .insertInto('connections')
          .values({
            id: c.id,
            name: c.name,
            type: c.type,
            issuer: c.issuer,
            authorization_endpoint: c.authorizationEndpoint,
            token_endpoint: c.tokenEndpoint,
            userinfo_endpoint: c.userinfoEndpoint,
            client_id: c.clientId,
            client_secret_encrypted: c.clientSecretEncrypted,
            scopes: toJson(c.scopes),
            claim_mapping: toJson(c.claimMapping),
            enabled: c.enabled,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute(),
      );
    },

    async find(id) {
      const row = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toConnection(row);
    },

    async list() {
      const rows = await db.selectFrom('connections').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toConnection);
    },

    async update(id, patch) {
      const set: Updateable<ConnectionsTable> = { updated_at: patch.updatedAt };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.type !== undefined) set.type = patch.type;
      if (patch.issuer !== undefined) set.issuer = patch.issuer;
      if (patch.authorizationEndpoint !== undefined) set.authorization_endpoint = patch.authorizationEndpoint;
      if (patch.tokenEndpoint !== undefined) set.token_endpoint = patch.tokenEndpoint;
      if (patch.userinfoEndpoint !== undefined) set.userinfo_endpoint = patch.userinfoEndpoint;
      if (patch.clientId !== undefined) set.client_id = patch.clientId;
      if (patch.clientSecretEncrypted !== undefined) set.client_secret_encrypted = patch.clientSecretEncrypted;
      if (patch.scopes !== undefined) set.scopes = toJson(patch.scopes);
      if (patch.claimMapping !== undefined) set.claim_mapping = toJson(patch.claimMapping);
      if (patch.enabled !== undefined) set.enabled = patch.enabled;
      return affected(await db.updateTable('connections').set(set).where('id', '=', id).executeTakeFirst());
    },

    async delete(id) {
      // Children first, so that this holds even where foreign keys are not enforced.
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_identities').where('connection_id', '=', id).execute();
        await trx.deleteFrom('federation_states').where('connection_id', '=', id).execute();
        return affected(await trx.deleteFrom('connections').where('id', '=', id).executeTakeFirst());
      });
    },
  };
}

function toIdentity(row: Selectable<UserIdentitiesTable>): UserIdentityRecord {
  return {
    connectionId: row.connection_id,
    upstreamSub: row.upstream_sub,
    sub: row.sub,
    email: row.email,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function userIdentitiesRepository(db: Kysely<Database>): UserIdentitiesRepository {
  const one = (connectionId: string, upstreamSub: string) =>
    db.selectFrom('user_identities').selectAll().where('connection_id', '=', connectionId).where('upstream_sub', '=', upstreamSub);
  return {
    async create(identity) {
      await insertOnce(`identity ${identity.connectionId}/${identity.upstreamSub}`, () =>
        db
          .insertInto('user_identities')
          .values({
            connection_id: identity.connectionId,
            upstream_sub: identity.upstreamSub,
            sub: identity.sub,
            email: identity.email,
            created_at: identity.createdAt,
            last_used_at: identity.lastUsedAt,
          })
          .execute(),
      );
    },

    async find(connectionId, upstreamSub) {
      const row = await one(connectionId, upstreamSub).executeTakeFirst();
      return row && toIdentity(row);
    },

    async listBySub(sub) {
      const rows = await db
        .selectFrom('user_identities')
        .selectAll()
        .where('sub', '=', sub)
        .orderBy('created_at')
        .orderBy('connection_id')
        .orderBy('upstream_sub')
        .execute();
      return rows.map(toIdentity);
    },

    async touch(connectionId, upstreamSub, now) {
      const result = await db
        .updateTable('user_identities')
        .set({ last_used_at: now })
        .where('connection_id', '=', connectionId)
        .where('upstream_sub', '=', upstreamSub)
        .executeTakeFirst();
      return affected(result);
    },

    async delete(connectionId, upstreamSub) {
      const result = await db
        .deleteFrom('user_identities')
        .where('connection_id', '=', connectionId)
        .where('upstream_sub', '=', upstreamSub)
        .executeTakeFirst();
      return affected(result);
    },
  };
}

function toState(row: Selectable<FederationStatesTable>): FederationStateRecord {
  return {
    digest: row.digest,
    kind: row.kind as FederationStateRecord['kind'],
    connectionId: row.connection_id,
    interactionDigest: row.interaction_digest,
    browserDigest: row.browser_digest,
    upstreamSub: row.upstream_sub,
    email: row.email,
    sub: row.sub,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function federationStatesRepository(db: Kysely<Database>): FederationStatesRepository {
  return {
    async create(state) {
      await insertOnce('federation state', () =>
        db
          .insertInto('federation_states')
          .values({
            digest: state.digest,
            kind: state.kind,
            connection_id: state.connectionId,
            interaction_digest: state.interactionDigest,
            browser_digest: state.browserDigest,
            upstream_sub: state.upstreamSub,
            email: state.email,
            sub: state.sub,
            created_at: state.createdAt,
            expires_at: state.expiresAt,
          })
          .execute(),
      );
    },

    async consume(digest, now) {
      // One statement: of concurrent callbacks with the same state, exactly one gets the row.
      const row = await db.deleteFrom('federation_states').where('digest', '=', digest).returningAll().executeTakeFirst();
      return row && row.expires_at > now ? toState(row) : undefined;
    },

    async find(digest, now) {
      const row = await db.selectFrom('federation_states').selectAll().where('digest', '=', digest).where('expires_at', '>', now).executeTakeFirst();
      return row && toState(row);
    },
  };
}
