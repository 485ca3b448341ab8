import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from './open.js';
import type { KeyRecord } from './types.js';

const key = (kid: string): KeyRecord => ({
  kid,
  alg: 'ES256',
  state: 'next',
  publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
  privateJwkEncrypted: 'a.b.c.d.e',
  createdAt: 1_700_000_000,
  activatedAt: null,
  retiredAt: null,
});

function heard(store: OpenedStore) {
  let count = 0;
  const waiters: (() => void)[] = [];
  const stop = store.keyChanges.subscribe(() => {
    count += 1;
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    stop,
    count: () => count,
    next: (ms = 2000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no key change heard within ${ms} ms`)), ms);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

describe('key changes (SQLite)', () => {
  let dir: string;
  let server: OpenedStore;
  let cli: OpenedStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-key-changes-'));
    server = await openMigratedStore({ dataDir: dir });
    cli = await openMigratedStore({ dataDir: dir });
  });
  afterEach(async () => {
    await server.close();
    await cli.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('tells a subscriber when another connection changes the keys, and not for other writes', async () => {
    const listener = heard(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cli.users.create({ sub: 'u1', email: 'a@example.test', emailVerified: true, verificationRequired: false, passwordHash: null, profile: {}, roles: [], disabledAt: null, createdAt: 1, updatedAt: 1 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(listener.count()).toBe(0);

    const change = listener.next();
    await cli.keys.create(key('k1'));
    await change;
    const retire = listener.next();
    await cli.keys.setState('k1', 'active', 1_700_000_100);
    await retire;
    listener.stop();
  });

  it('tells its own subscribers at once about a write through the same store', async () => {
    const listener = heard(server);
    const change = listener.next(100);
    await server.keys.create(key('k2'));
    await change;
    listener.stop();
  });
});
