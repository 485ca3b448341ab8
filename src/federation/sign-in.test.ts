import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../admin/users.js';
import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { CLI_ACTOR } from '../observability/events.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import type { ConnectionRecord } from '../storage/types.js';
import { resolveUpstream, type SignInDeps } from './sign-in.js';

/** Who an upstream identity is at Latch, on a real SQLite store. */
describe('resolveUpstream', () => {
  let dataDir: string;
  let store: OpenedStore;
  let deps: SignInDeps;
  const passwords = loadPasswordPolicy();
  const connection: ConnectionRecord = {
    id: 'up', name: 'Up', type: 'oidc', issuer: 'https://up.example', authorizationEndpoint: null, tokenEndpoint: null, userinfoEndpoint: null,
    clientId: 'c', clientSecretEncrypted: null, scopes: [], claimMapping: {}, enabled: true, createdAt: 1, updatedAt: 1,
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-fed-signin-'));
    store = await openMigratedStore({ dataDir });
    await store.connections.create(connection);
    deps = { store, passwords };
  });
  afterAll(async () => {
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an unknown identity with a new email: a user just in time, linked, then found again', async () => {
    const first = await resolveUpstream(deps, connection, { sub: 'u1', email: 'new@x.test', emailVerified: true, name: 'New Person', given_name: 'New' }, 10, CLI_ACTOR);
    expect(first).toMatchObject({ kind: 'user', created: true, user: { email: 'new@x.test', emailVerified: true, passwordHash: null, profile: { name: 'New Person', given_name: 'New' } } });
    const again = await resolveUpstream(deps, connection, { sub: 'u1', email: 'changed@x.test', emailVerified: true }, 20, CLI_ACTOR);
    expect(again).toMatchObject({ kind: 'user', created: false });
    expect(again.kind === 'user' && again.user.sub).toBe(first.kind === 'user' && first.user.sub);
    expect((await store.identities.find('up', 'u1'))?.lastUsedAt).toBe(20);
    const unverified = await resolveUpstream(deps, connection, { sub: 'u9', email: 'fresh@x.test', emailVerified: false }, 10, CLI_ACTOR);
    expect(unverified).toMatchObject({ kind: 'user', created: true, user: { emailVerified: false } });
  });

  it('an existing email: link (proof first) when verified, never when not; nothing linked yet', async () => {
    const existing = await createUser(store, passwords, { email: 'ada@x.test', password: 'correct horse battery staple' });
    expect(await resolveUpstream(deps, connection, { sub: 'u2', email: 'ada@x.test', emailVerified: true }, 10, CLI_ACTOR)).toMatchObject({ kind: 'link', user: { sub: existing.sub } });
    expect(await resolveUpstream(deps, connection, { sub: 'u2', email: 'ada@x.test', emailVerified: false }, 10, CLI_ACTOR)).toMatchObject({ kind: 'unverified' });
    expect(await store.identities.listBySub(existing.sub)).toEqual([]);
  });

  it('no email: no user; a disabled user is not signed in', async () => {
    expect(await resolveUpstream(deps, connection, { sub: 'u3', email: null, emailVerified: false }, 10, CLI_ACTOR)).toEqual({ kind: 'no_email' });
    const created = await resolveUpstream(deps, connection, { sub: 'u4', email: 'dis@x.test', emailVerified: true }, 10, CLI_ACTOR);
    await store.users.update(created.kind === 'user' ? created.user.sub : '', { disabledAt: 11, updatedAt: 11 });
    expect(await resolveUpstream(deps, connection, { sub: 'u4', email: 'dis@x.test', emailVerified: true }, 12, CLI_ACTOR)).toMatchObject({ kind: 'disabled' });
  });
});
