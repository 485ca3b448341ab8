import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from '../../src/cli/test-helpers.js';
import { rotateKeys } from '../../src/keys/key-ring.js';
import { keyListenerApplicationName } from '../../src/storage/postgres/key-changes.js';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import type { KeyRecord } from '../../src/storage/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

async function publishedKids(server: TestServer): Promise<string[]> {
  const response = await fetch(`${server.url}/jwks`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { keys: { kid: string }[] };
  return body.keys.map((k) => k.kid);
}

/** Polls the server's JWKS until `done` holds; returns how long it took (ms), or fails after 2 s. */
async function waitForJwks(server: TestServer, done: (kids: string[]) => boolean): Promise<number> {
  const started = Date.now();
  for (;;) {
    const kids = await publishedKids(server);
    if (done(kids)) return Date.now() - started;
    if (Date.now() - started > 2000) throw new Error(`JWKS of ${server.url} did not change within 2 s: ${kids.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const byState = (keys: KeyRecord[], state: KeyRecord['state']) => keys.filter((k) => k.state === state).map((k) => k.kid).sort();

describe('key rotation reaches running servers (SQLite)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('`latch keys rotate` through another connection shows in the JWKS within 2 s; the new active key was published before', async () => {
    server = await startTestServer();
    const before = await server.latch.store.keys.list();
    const jwksBefore = await publishedKids(server);
    for (const kid of byState(before, 'next')) expect(jwksBefore).toContain(kid);

    const rotated = await runLatch(['keys', 'rotate', '--json'], {
      env: { LATCH_DATA_DIR: server.dataDir, LATCH_KEY_ALGORITHMS: server.latch.config.keyAlgorithms.join(',') },
    });
    expectCode(rotated, 0);
    const result = rotated.json<{ activated: string[]; created: string[] }>();
    expect(result.activated.sort()).toEqual(byState(before, 'next'));
    for (const kid of result.activated) expect(jwksBefore).toContain(kid);

    await waitForJwks(server, (kids) => result.created.every((kid) => kids.includes(kid)));
    const after = await server.latch.store.keys.list();
    expect(byState(after, 'active')).toEqual(result.activated.sort());
    // The server signs with the key it published as next before the rotation.
    expect(server.latch.keys.jwks().keys.map((k) => k.kid)).toEqual(expect.arrayContaining(result.activated));
  });
});

describe('key rotation reaches running servers (PostgreSQL, two instances on one schema)', () => {
  const schema = `latch_keys_${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const stores: OpenedStore[] = [];
  const servers: TestServer[] = [];

  afterAll(async () => {
    for (const server of servers) await server.close();
    const admin = stores[0];
    if (admin) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.kysely);
    for (const store of stores) await store.close();
  });

  it('a rotation from a third connection shows in both JWKS within 2 s; the new active key was published before', async () => {
    const open = async () => {
      const store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
      stores.push(store);
      return store;
    };
    for (let i = 0; i < 2; i++) servers.push(await startTestServer({ databaseUrl, secret }, { store: await open() }));
    const cli = await open();
    const algorithms = servers[0]!.latch.config.keyAlgorithms;

    const before = await cli.keys.list();
    const published = await Promise.all(servers.map(publishedKids));
    for (const kids of published) for (const kid of byState(before, 'next')) expect(kids).toContain(kid);

    const result = await rotateKeys({ repo: cli.keys, secret: new Uint8Array(Buffer.from(secret, 'base64url')), algorithms });
    expect(result.activated.sort()).toEqual(byState(before, 'next'));
    for (const kids of published) for (const kid of result.activated) expect(kids).toContain(kid);

    await Promise.all(servers.map((server) => waitForJwks(server, (kids) => result.created.every((kid) => kids.includes(kid)))));
  });

  it('a listener whose connection is dropped reconnects and still hears the next rotation', async () => {
    const cli = stores[2]!;
    const listeners = () =>
      sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${keyListenerApplicationName(schema)}`.execute(cli.kysely);
    const dropped = (await listeners()).rows.map((r) => r.pid);
    expect(dropped).toHaveLength(2);
    for (const pid of dropped) await sql`select pg_terminate_backend(${pid})`.execute(cli.kysely);
    const started = Date.now();
    for (;;) {
      const pids = (await listeners()).rows.map((r) => r.pid);
      if (pids.length === 2 && pids.every((pid) => !dropped.includes(pid))) break;
      if (Date.now() - started > 5000) throw new Error(`listeners did not reconnect: ${pids.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const algorithms = servers[0]!.latch.config.keyAlgorithms;
    const result = await rotateKeys({ repo: cli.keys, secret: new Uint8Array(Buffer.from(secret, 'base64url')), algorithms });
    await Promise.all(servers.map((server) => waitForJwks(server, (kids) => result.created.every((kid) => kids.includes(kid)))));
  });
});
