import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aClient, aGrant, aSession, aToken, aUser } from '../../storage/contract/fixtures.js';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import { digest } from '../tokens/hash.js';
import { ACCOUNT_TOKEN_TTL, issueAccountToken } from './account-tokens.js';
import { completePasswordReset, limitMailRequest, requestPasswordReset } from './password-reset.js';

describe('password reset over a real store', () => {
  let root: string;
  let store: OpenedStore;
  const now = 1_900_000_000;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-reset-'));
    store = await openMigratedStore({ dataDir: root });
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stores only the digest of a link valid 30 minutes, and a newer link replaces the older', async () => {
    const user = aUser();
    await store.users.create(user);
    const first = await requestPasswordReset(store, user.email, now);
    const second = await requestPasswordReset(store, user.email, now + 1);
    if (first.kind !== 'link' || second.kind !== 'link') throw new Error('expected links');
    expect(ACCOUNT_TOKEN_TTL.reset_password).toBe(1800);
    expect(await store.accountTokens.find(first.token, 'reset_password', now)).toBeUndefined();
    expect(await store.accountTokens.find(digest(first.token), 'reset_password', now)).toBeUndefined();
    expect(await store.accountTokens.find(digest(second.token), 'reset_password', now)).toMatchObject({ sub: user.sub, expiresAt: now + 1 + 1800 });
    expect(await requestPasswordReset(store, 'nobody@example.com', now)).toEqual({ kind: 'none' });
    const disabled = aUser({ disabledAt: now });
    await store.users.create(disabled);
    expect(await requestPasswordReset(store, disabled.email, now)).toEqual({ kind: 'none' });
  });

  it('resets once: the password set, every session ended, every grant and token revoked', async () => {
    const user = aUser();
    const client = aClient();
    await store.users.create(user);
    await store.clients.create(client);
    const grant = aGrant(client.clientId, user.sub);
    await store.grants.create(grant);
    const refresh = aToken(grant, { kind: 'refresh_token' });
    await store.tokens.create(refresh);
    await store.sessions.create(aSession(user.sub));
    const { token } = await issueAccountToken(store.accountTokens, { kind: 'reset_password', sub: user.sub, email: user.email }, now);
    const set: string[] = [];
    const deps = { ...store, setPassword: async (sub: string, password: string) => void set.push(`${sub}:${password}`) };
    const done = await completePasswordReset(deps, token, 'new password here', now + 60);
    expect(done).toMatchObject({ kind: 'done', sessionsEnded: 1, grantsRevoked: 1 });
    expect(set).toEqual([`${user.sub}:new password here`]);
    expect(await store.sessions.listBySub(user.sub, now)).toEqual([]);
    expect((await store.tokens.find(refresh.digest))?.revokedAt).toBe(now + 60);
    expect(await completePasswordReset(deps, token, 'again', now + 61)).toEqual({ kind: 'invalid' });
    expect(await completePasswordReset(deps, 'x'.repeat(43), 'again', now + 61)).toEqual({ kind: 'invalid' });
    expect(await completePasswordReset(deps, { not: 'a string' }, 'again', now + 61)).toEqual({ kind: 'invalid' });
  });

  it('refuses an expired link', async () => {
    const user = aUser();
    await store.users.create(user);
    const { token } = await issueAccountToken(store.accountTokens, { kind: 'reset_password', sub: user.sub, email: user.email }, now);
    const deps = { ...store, setPassword: async () => undefined };
    expect(await completePasswordReset(deps, token, 'new password here', now + 1800)).toEqual({ kind: 'invalid' });
  });

  it('limits mail requests per typed address and per network address', async () => {
    const ask = (email: string, ip = '192.0.2.1') => limitMailRequest(store.rateLimits, { purpose: 'reset', email, ip }, now, { perAccount: 2, perAddress: 3, window: 900 });
    expect(await ask('a@example.com')).toEqual({ kind: 'ok' });
    expect(await ask('a@example.com', '192.0.2.2')).toEqual({ kind: 'ok' });
    expect(await ask('a@example.com', '192.0.2.3')).toMatchObject({ kind: 'limited' });
    expect(await ask('b@example.com')).toEqual({ kind: 'ok' });
    expect(await ask('c@example.com')).toEqual({ kind: 'ok' });
    expect(await ask('d@example.com')).toMatchObject({ kind: 'limited', retryAfter: 900 - (now % 900) });
  });
});
