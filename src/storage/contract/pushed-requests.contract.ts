import { describe, expect, it } from 'vitest';
import { type PushedRequestRecord, StorageConflictError } from '../types.js';
import type { ContractContext } from './contract.js';
import { aClient, NOW, uniqueId } from './fixtures.js';

function aPushedRequest(clientId: string, overrides: Partial<PushedRequestRecord> = {}): PushedRequestRecord {
  return {
    digest: uniqueId('par'),
    clientId,
    params: { client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://rp.example/cb' },
    createdAt: NOW,
    expiresAt: NOW + 60,
    ...overrides,
  };
}

/** RFC 9126 pushed authorization requests (migration 017): single use, by their own client only, until they expire. */
export function pushedRequestsContract({ store }: ContractContext): void {
  describe('pushed authorization requests', () => {
    it('is consumed once, by its own client, before it expires; another client consumes nothing', async () => {
      const client = aClient();
      const other = aClient();
      await store().clients.create(client);
      await store().clients.create(other);
      const pushed = aPushedRequest(client.clientId);
      const late = aPushedRequest(client.clientId, { expiresAt: NOW + 10 });
      await store().pushedRequests.create(pushed);
      await store().pushedRequests.create(late);
      await expect(store().pushedRequests.create(pushed)).rejects.toBeInstanceOf(StorageConflictError);

      expect(await store().pushedRequests.consume(pushed.digest, other.clientId, NOW)).toBeUndefined();
      expect(await store().pushedRequests.consume(pushed.digest, client.clientId, NOW)).toEqual(pushed);
      expect(await store().pushedRequests.consume(pushed.digest, client.clientId, NOW)).toBeUndefined();
      expect(await store().pushedRequests.consume(late.digest, client.clientId, NOW + 10)).toBeUndefined();
      expect(await store().pushedRequests.consume('no-such-digest', client.clientId, NOW)).toBeUndefined();
    });

    it('gives exactly one of concurrent uses the request', async () => {
      const client = aClient();
      await store().clients.create(client);
      const pushed = aPushedRequest(client.clientId);
      await store().pushedRequests.create(pushed);
      const results = await Promise.all([1, 2, 3].map(() => store().pushedRequests.consume(pushed.digest, client.clientId, NOW)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('is purged once expired, and deleted with its client', async () => {
      const client = aClient();
      await store().clients.create(client);
      const expired = aPushedRequest(client.clientId, { expiresAt: NOW - 1 });
      const live = aPushedRequest(client.clientId);
      await store().pushedRequests.create(expired);
      await store().pushedRequests.create(live);
      const report = await store().purgeExpired(NOW);
      expect(report.deleted.pushed_authorization_requests).toBeGreaterThanOrEqual(1);
      expect(await store().pushedRequests.consume(live.digest, client.clientId, NOW)).toEqual(live);
      const gone = aPushedRequest(client.clientId);
      await store().pushedRequests.create(gone);
      await store().clients.delete(client.clientId);
      expect(await store().pushedRequests.consume(gone.digest, client.clientId, NOW)).toBeUndefined();
    });
  });
}
