/** The CLI opens the store with LATCH_REDIS_URL too: deleting a person there ends their interactions in Redis. */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from '../../cli/test-helpers.js';
import { aClient, anInteraction, NOW } from '../contract/fixtures.js';
import { openMigratedStore } from '../open.js';

const redisUrl = process.env.LATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// The CLI's prefix is the default one (`latch:`): a database number of its own keeps the test apart.
const url = `${redisUrl}/13`;

describe('latch users delete with LATCH_REDIS_URL', () => {
  let dataDir: string;
  const redis = new Redis(url);
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-redis-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    // Database 13 is this test's own: whatever a failed run left there goes.
    const left = await redis.keys('latch:*');
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });

  it('deletes the interactions the person had signed in to, in Redis', async () => {
    const env = { LATCH_DATA_DIR: dataDir, LATCH_REDIS_URL: url };
    const email = `cli-${randomBytes(6).toString('hex')}@example.com`;
    expectCode(await runLatch(['users', 'create', '--email', email, '--password-stdin'], { env, stdin: 'analytical engine\n' }), 0);
    const store = await openMigratedStore({ dataDir, redisUrl: url });
    const client = aClient();
    const interaction = anInteraction(client.clientId);
    try {
      const user = await store.users.findByEmail(email);
      await store.clients.create(client);
      await store.interactions.create(interaction);
      await store.interactions.updateResult(interaction.idDigest, { sub: user!.sub });
      expect(await store.interactions.find(interaction.idDigest, NOW)).toBeDefined();

      expectCode(await runLatch(['users', 'delete', email], { env }), 0);
      expect(await store.interactions.find(interaction.idDigest, NOW)).toBeUndefined();
    } finally {
      await store.close();
    }
    // Its lists went with it: nothing of it is left in Redis.
    const left = await redis.keys('latch:*');
    expect(left.filter((key) => key.includes(interaction.idDigest) || key.includes(client.clientId) || key.includes(interaction.browserDigest))).toEqual([]);
    expect(await redis.zscore('latch:ix-expiry', interaction.idDigest)).toBeNull();
  });
});
