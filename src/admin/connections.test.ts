import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { openClientSecret } from '../federation/secrets.js';
import { createConnection, deleteConnection, getConnection, listConnections, listIdentities, unlinkIdentity, updateConnection, type ConnectionsDeps } from './connections.js';
import { AdminInputError, AdminNotFoundError } from './errors.js';

/** The connections admin service on a real store, with a real Latch as the OpenID provider whose discovery is read. */
describe('connections admin service', () => {
  let upstream: TestServer;
  let host: TestServer;
  let deps: ConnectionsDeps;
  const serverSecret = randomBytes(32);

  beforeAll(async () => {
    upstream = await startTestServer();
    host = await startTestServer();
    deps = { store: host.latch.store, serverSecret, allowPrivate: true, issuer: 'https://latch.example' };
  });
  afterAll(async () => {
    await host?.close();
    await upstream?.close();
  });

  it('creates an OpenID Connect connection after reading its discovery; the secret is sealed and never returned', async () => {
    const view = await createConnection(deps, { id: 'upstream', name: 'Upstream', issuer: upstream.issuer, client_id: 'abc', client_secret: 'top-secret' }, 100);
    expect(view).toMatchObject({ id: 'upstream', type: 'oidc', has_client_secret: true, enabled: true, scopes: ['openid', 'email', 'profile'], callback_url: 'https://latch.example/federation/upstream/callback' });
    expect(JSON.stringify(view)).not.toContain('top-secret');
    const record = (await host.latch.store.connections.find('upstream'))!;
    expect(record.clientSecretEncrypted).not.toContain('top-secret');
    expect(await openClientSecret(record.clientSecretEncrypted!, serverSecret, 'upstream')).toBe('top-secret');
    expect((await listConnections(deps)).map((c) => c.id)).toContain('upstream');
    const events = await host.latch.store.events.page({ type: 'connection.created' }, { limit: 10 });
    expect(events.items[0]?.data).toEqual({ connection: 'upstream', type: 'oidc' });
  });

  it('refuses an issuer whose discovery cannot be read, naming the field', async () => {
    const err = await createConnection(deps, { id: 'nowhere', name: 'Nowhere', issuer: `${upstream.issuer}/nothing-here`, client_id: 'abc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminInputError);
    expect((err as AdminInputError).field).toBe('issuer');
    expect(await host.latch.store.connections.find('nowhere')).toBeUndefined();
  });

  it('refuses plain http (unless loopback with allowPrivate), private addresses, and incomplete OAuth 2.0 connections', async () => {
    const strict = { ...deps, allowPrivate: false };
    await expect(createConnection(strict, { id: 'plain', name: 'Plain', issuer: 'http://idp.example', client_id: 'x' })).rejects.toMatchObject({ field: 'issuer', reason: 'must be an https URL' });
    await expect(createConnection(strict, { id: 'loop', name: 'Loop', issuer: upstream.issuer, client_id: 'x' })).rejects.toMatchObject({ field: 'issuer' });
    // https to a loopback address: the outbound fetch refuses it without LATCH_FETCH_ALLOW_PRIVATE.
    await expect(createConnection(strict, { id: 'loop2', name: 'Loop', issuer: 'https://127.0.0.1:1/', client_id: 'x' })).rejects.toThrow(/not a public address/);
    await expect(createConnection(deps, { id: 'gh', name: 'GitHub', type: 'oauth2', client_id: 'x', authorization_endpoint: 'https://github.example/authorize' })).rejects.toMatchObject({ field: 'token_endpoint' });
    await expect(createConnection(deps, { id: 'Bad Id', name: 'X', issuer: upstream.issuer, client_id: 'x' })).rejects.toMatchObject({ field: 'id' });
    await expect(createConnection(deps, { id: 'gh', name: 'X', type: 'oauth2', client_id: 'x', claim_mapping: { sub: 'a b' } } as never)).rejects.toMatchObject({ field: 'claim_mapping.sub' });
    await expect(createConnection(deps, { id: 'gh', name: 'X', client_id: 'x', surprise: 1 } as never)).rejects.toMatchObject({ field: 'surprise' });
  });

  it('an OAuth 2.0 connection (GitHub style) with a mapping; update, disable, delete', async () => {
    const view = await createConnection(deps, {
      id: 'github',
      name: 'GitHub',
      type: 'oauth2',
      client_id: 'Iv1.abc',
      client_secret: 'gh-secret',
      authorization_endpoint: 'https://github.example/login/oauth/authorize',
      token_endpoint: 'https://github.example/login/oauth/access_token',
      userinfo_endpoint: 'https://api.github.example/user',
      scopes: ['read:user', 'user:email'],
      claim_mapping: { sub: 'id', name: 'name' },
    });
    expect(view).toMatchObject({ type: 'oauth2', claim_mapping: { sub: 'id', name: 'name' }, scopes: ['read:user', 'user:email'] });
    await expect(createConnection(deps, { id: 'github', name: 'Again', type: 'oauth2', client_id: 'x', authorization_endpoint: 'https://a.example/', token_endpoint: 'https://a.example/t', userinfo_endpoint: 'https://a.example/u' })).rejects.toMatchObject({ field: 'id' });

    const before = (await host.latch.store.connections.find('github'))!.clientSecretEncrypted;
    const updated = await updateConnection(deps, 'github', { enabled: false, name: 'GitHub Enterprise', client_secret: 'rotated' });
    expect(updated).toMatchObject({ enabled: false, name: 'GitHub Enterprise', has_client_secret: true });
    const after = (await host.latch.store.connections.find('github'))!.clientSecretEncrypted!;
    expect(after).not.toBe(before);
    expect(await openClientSecret(after, serverSecret, 'github')).toBe('rotated');
    await expect(updateConnection(deps, 'missing', { enabled: true })).rejects.toBeInstanceOf(AdminNotFoundError);

    await deleteConnection(deps, 'github');
    await expect(getConnection(deps, 'github')).rejects.toBeInstanceOf(AdminNotFoundError);
    await expect(deleteConnection(deps, 'github')).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('lists and unlinks a user\'s identities; another user\'s identity is not found', async () => {
    const ada = await host.user();
    const bob = await host.user();
    await host.latch.store.identities.create({ connectionId: 'upstream', upstreamSub: 'u-1', sub: ada.sub, email: ada.email, createdAt: 1, lastUsedAt: null });
    expect(await listIdentities(deps, ada.sub)).toEqual([{ connection: 'upstream', upstream_sub: 'u-1', sub: ada.sub, email: ada.email, created_at: 1, last_used_at: null }]);
    await expect(unlinkIdentity(deps, bob.sub, 'upstream', 'u-1')).rejects.toBeInstanceOf(AdminNotFoundError);
    await unlinkIdentity(deps, ada.sub, 'upstream', 'u-1');
    expect(await listIdentities(deps, ada.sub)).toEqual([]);
    await expect(listIdentities(deps, 'nobody')).rejects.toMatchObject({ kind: 'user' });
  });
});
