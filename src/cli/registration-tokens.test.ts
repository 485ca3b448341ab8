import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digest } from '../core/tokens/hash.js';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-regtokens-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('latch registration-tokens', () => {
  it('creates a token shown once (only its digest is stored), lists it without the token, revokes it', async () => {
    const created = await runLatch(['registration-tokens', 'create', '--uses', '3', '--ttl', '3600', '--json'], { env });
    expectCode(created, 0);
    const { id, token, uses_left, expires_at } = created.json<{ id: string; token: string; uses_left: number; expires_at: number }>();
    expect(uses_left).toBe(3);
    expect(expires_at).toBeGreaterThan(Date.now() / 1000);
    const store = await openMigratedStore({ dataDir });
    try {
      const [stored] = await store.registrationTokens.list();
      expect(stored?.digest).toBe(digest(token));
      expect(JSON.stringify(stored)).not.toContain(token);
    } finally {
      await store.close();
    }
    const listed = await runLatch(['registration-tokens', 'list'], { env });
    expectCode(listed, 0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(token);
    expectCode(await runLatch(['registration-tokens', 'revoke', id], { env }), 0);
    const again = await runLatch(['registration-tokens', 'revoke', id], { env });
    expect(again.code).not.toBe(0);
  });

  it('refuses a bad --uses or --ttl', async () => {
    for (const args of [['--uses', '0'], ['--uses', 'many'], ['--ttl', '-5'], ['--ttl', String(400 * 24 * 3600)]]) {
      const result = await runLatch(['registration-tokens', 'create', ...args], { env });
      expect(result.code, args.join(' ')).not.toBe(0);
    }
  });
});
