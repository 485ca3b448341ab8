import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aClient, aGrant, aToken, NOW } from '../contract/fixtures.js';
import { openMigratedStore, type OpenedStore } from '../open.js';
import { StorageConflictError, type ClientRecord } from '../types.js';
import { insertTokens, tokenRow } from './batched.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

describe('writes and reads of one turn joined (PostgreSQL)', () => {
  const schema = `latch_batch_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore;
  let client: ClientRecord;
  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: os.tmpdir(), databaseUrl, schema });
    client = aClient();
    await store.clients.create(client);
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists "${schema}" cascade`).execute(store.kysely);
    await store.close();
  });

  it('tokens created in one turn are all written, and each is answered only once committed', async () => {
    const grant = aGrant(client.clientId, null);
    await store.grants.create(grant);
    const tokens = Array.from({ length: 20 }, () => aToken(grant));
    await Promise.all(tokens.map((token) => store.tokens.create(token)));
    const rows = await store.kysely.selectFrom('tokens').select('digest').where('grant_id', '=', grant.grantId).execute();
    expect(rows.map((r) => r.digest).sort()).toEqual(tokens.map((t) => t.digest).sort());
    // Rows written by one statement carry the same transaction id: one commit for the turn.
    const commits = await sql<{ n: number }>`select count(distinct xmin::text)::int as n from tokens where grant_id = ${grant.grantId}`.execute(store.kysely);
    expect(commits.rows[0]?.n).toBe(1);
    const found = await Promise.all(tokens.map((token) => store.tokens.findWithGrant(token.digest)));
    expect(found.map((f) => f?.token.digest)).toEqual(tokens.map((t) => t.digest));
    expect(found.every((f) => f?.grantRevoked === false)).toBe(true);
  });

  it('tokens written together read back field for field: nulls, quotes and backslashes, non-ASCII text, nested data', async () => {
    const grant = aGrant(client.clientId, null);
    await store.grants.create(grant);
    const odd = {
      ...aToken(grant),
      scope: `read "quoted" back\\slash {braces},comma é 名前 🙂`,
      audience: null,
      sub: null,
      data: { sid: 'a"b\\c', amr: ['pwd', 'otp'], nested: { n: 1, t: true, z: null, s: 'line\nbreak\ttab' }, auth_time: 1_800_000_000 },
      consumedAt: 1_800_000_001,
      revokedAt: null,
    };
    const plain = aToken(grant);
    await Promise.all([store.tokens.create(odd), store.tokens.create(plain)]);
    expect(await store.tokens.find(odd.digest)).toEqual(odd);
    expect(await store.tokens.find(plain.digest)).toEqual(plain);
  });

  it('one bad token in a turn fails alone: the others are written, the duplicate gets StorageConflictError', async () => {
    const grant = aGrant(client.clientId, null);
    await store.grants.create(grant);
    const existing = aToken(grant);
    await store.tokens.create(existing);
    const fresh = [aToken(grant), aToken(grant)];
    const outcomes = await Promise.allSettled([store.tokens.create(fresh[0]!), store.tokens.create({ ...existing }), store.tokens.create(fresh[1]!)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StorageConflictError);
    for (const token of fresh) expect((await store.tokens.find(token.digest))?.digest).toBe(token.digest);
  });

  it('tokens of one turn for a deleted client are refused alone, not as a conflict', async () => {
    const gone = aClient();
    await store.clients.create(gone);
    await store.clients.delete(gone.clientId);
    const good = aToken(aGrant(client.clientId, null), { grantId: null, kind: 'access_token' });
    const orphan = aToken(aGrant(gone.clientId, null), { grantId: null, kind: 'access_token' });
    const outcomes = await Promise.allSettled([store.tokens.create(good), store.tokens.create(orphan)]);
    expect(outcomes[0].status).toBe('fulfilled');
    expect(outcomes[1].status).toBe('rejected');
    expect((outcomes[1] as PromiseRejectedResult).reason).not.toBeInstanceOf(StorageConflictError);
    expect(await store.tokens.find(good.digest)).toBeDefined();
    expect(await store.tokens.find(orphan.digest)).toBeUndefined();
  });

  it('a client deleted while a token INSERT holds its lock: the deletion waits, then deletes that token too', async () => {
    const doomed = aClient();
    await store.clients.create(doomed);
    const token = aToken(aGrant(doomed.clientId, null), { grantId: null, kind: 'access_token' });
    let deleted: Promise<boolean> | undefined;
    await store.kysely.transaction().execute(async (trx) => {
      // The batched INSERT itself, its commit held back: it has locked the client and written the token.
      const result = await trx.executeQuery({ ...insertTokens, parameters: [JSON.stringify([tokenRow(token)])] });
      expect(Number(result.numAffectedRows)).toBe(1);
      deleted = store.clients.delete(doomed.clientId);
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(await deleted).toBe(true);
    // No foreign key cascades here (migration 023): the deletion's second pass over the tokens did it.
    expect(await store.tokens.find(token.digest)).toBeUndefined();
  });

  it('a rotated token written only if absent: false for an existing digest, an error for an unknown client', async () => {
    const grant = aGrant(client.clientId, null);
    await store.grants.create(grant);
    const successor = aToken(grant);
    expect(await store.tokens.createIfAbsent(successor)).toBe(true);
    expect(await store.tokens.createIfAbsent({ ...successor })).toBe(false);
    expect(await store.tokens.find(successor.digest)).toEqual(successor);
    const orphan = aToken(aGrant('no-such-client', null), { grantId: null });
    await expect(store.tokens.createIfAbsent(orphan)).rejects.toThrow(/unknown client/);
    expect(await store.tokens.find(orphan.digest)).toBeUndefined();
  });

  it('a token INSERT while its client is being deleted: it waits, then finds no client and writes nothing', async () => {
    const doomed = aClient();
    await store.clients.create(doomed);
    const token = aToken(aGrant(doomed.clientId, null), { grantId: null, kind: 'access_token' });
    let created: Promise<unknown> | undefined;
    await store.kysely.transaction().execute(async (trx) => {
      await sql`select client_id from clients where client_id = ${doomed.clientId} for update`.execute(trx);
      created = store.tokens.create(token).then(() => 'written', (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sql`delete from clients where client_id = ${doomed.clientId}`.execute(trx);
    });
    expect(await created).toBeInstanceOf(Error);
    expect(await store.tokens.find(token.digest)).toBeUndefined();
  });

  it('introspections of one turn each get their own token, a revoked grant and an unknown token', async () => {
    const live = aGrant(client.clientId, null);
    const revoked = aGrant(client.clientId, null);
    await store.grants.create(live);
    await store.grants.create(revoked);
    const a = aToken(live);
    const b = aToken(revoked);
    await Promise.all([store.tokens.create(a), store.tokens.create(b)]);
    await store.grants.revoke(revoked.grantId, NOW + 1);
    const [fa, fb, unknown, again] = await Promise.all([
      store.tokens.findWithGrant(a.digest),
      store.tokens.findWithGrant(b.digest),
      store.tokens.findWithGrant('no such digest'),
      store.tokens.findWithGrant(a.digest),
    ]);
    expect(fa).toMatchObject({ token: { digest: a.digest, clientId: client.clientId }, grantRevoked: false });
    expect(fb?.token.digest).toBe(b.digest);
    expect(fb?.token.revokedAt ?? fb?.grantRevoked).toBeTruthy();
    expect(unknown).toBeUndefined();
    expect(again).toEqual(fa);
    expect(again).not.toBe(fa);
  });

  it('rate-limit reads of one turn, for different keys and windows, each count their own', async () => {
    const now = 4_000_000_000;
    await store.rateLimits.hit('rl-a', 60, now);
    await store.rateLimits.hit('rl-a', 60, now);
    await store.rateLimits.hit('rl-a', 60, now - 60);
    await store.rateLimits.hit('rl-b', 3600, now);
    const [a60, b60, b3600, none] = await Promise.all([
      store.rateLimits.counts(['rl-a', 'rl-b'], 60, now),
      store.rateLimits.counts(['rl-b'], 60, now),
      store.rateLimits.counts(['rl-b', 'rl-a'], 3600, now),
      store.rateLimits.counts(['rl-c'], 60, now),
    ]);
    expect(Object.fromEntries(a60)).toEqual({ 'rl-a': { current: 2, previous: 1 }, 'rl-b': { current: 0, previous: 0 } });
    expect(Object.fromEntries(b60)).toEqual({ 'rl-b': { current: 0, previous: 0 } });
    expect(Object.fromEntries(b3600)).toEqual({ 'rl-b': { current: 1, previous: 0 }, 'rl-a': { current: 0, previous: 0 } });
    expect(Object.fromEntries(none)).toEqual({ 'rl-c': { current: 0, previous: 0 } });
    await expect(store.rateLimits.counts(['rl-a'], 0, now)).rejects.toThrow(RangeError);
  });
});
