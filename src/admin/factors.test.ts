import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { expectCode, runLatch } from '../cli/test-helpers.js';
import { openMigratedStore } from '../storage/open.js';
import { createUser } from './users.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-factors-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function withStore<T>(run: (store: Awaited<ReturnType<typeof openMigratedStore>>) => Promise<T>): Promise<T> {
  const store = await openMigratedStore({ dataDir });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

describe('latch users reset-factors', () => {
  it("removes a person's authenticator app, recovery codes and passkeys, and records factor.reset", async () => {
    const now = Math.floor(Date.now() / 1000);
    const sub = await withStore(async (store) => {
      const user = await createUser(store, loadPasswordPolicy(), { email: 'ada@example.com', password: 'correct horse battery staple' });
      await store.totpSecrets.putPending({ sub: user.sub, secretSealed: 'sealed', confirmedAt: null, lastStep: null, createdAt: now });
      await store.totpSecrets.acceptStep(user.sub, 1, now, true);
      await store.recoveryCodes.replace(user.sub, ['a', 'b', 'c'], now);
      await store.passkeys.create({ credentialId: 'cred', sub: user.sub, publicKey: 'pk', counter: 0, transports: [], deviceType: 'singleDevice', backedUp: false, name: 'Key', createdAt: now, lastUsedAt: null });
      return user.sub;
    });
    const result = await runLatch(['users', 'reset-factors', 'ada@example.com', '--json'], { env: { LATCH_DATA_DIR: dataDir } });
    expectCode(result, 0);
    expect(result.json()).toEqual({ sub, totp: true, recovery_codes: 3, passkeys: 1 });
    await withStore(async (store) => {
      expect(await store.totpSecrets.find(sub)).toBeUndefined();
      expect(await store.recoveryCodes.remaining(sub)).toBe(0);
      expect(await store.passkeys.listBySub(sub)).toEqual([]);
      const events = await store.events.page({ sub, type: 'factor.reset' }, { limit: 10 });
      expect(events.items.map((e) => e.data)).toEqual([{ totp: true, recovery_codes: 3, passkeys: 1 }]);
    });
    expectCode(await runLatch(['users', 'reset-factors', 'nobody@example.com'], { env: { LATCH_DATA_DIR: dataDir } }), 1);
  });
});
