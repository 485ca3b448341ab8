/**
 * The server purges expired rows by itself every LATCH_PURGE_INTERVAL seconds (storage/purge-schedule.ts), while
 * it keeps answering; with 0 it never does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { insertTokens } from '../../src/storage/contract/purge.contract.js';
import { tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

const now = () => Math.floor(Date.now() / 1000);

async function tokensOf(server: TestServer, clientId: string): Promise<{ expired: number; live: number }> {
  const rows = await server.latch.store.kysely.selectFrom('tokens').select(['expires_at']).where('client_id', '=', clientId).execute();
  return { expired: rows.filter((r) => r.expires_at <= now()).length, live: rows.filter((r) => r.expires_at > now()).length };
}

describe('the periodic purge of a running server', () => {
  it('deletes the expired tokens at the interval, and none that is still valid', async () => {
    ts = await startTestServer({ purgeInterval: 1 });
    const m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
    await insertTokens(ts.latch.store.kysely, m2m.clientId, 3_000, now() - 10);
    const issued = await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read' }, m2m);
    expect(issued.status).toBe(200);
    const server = ts;
    await expect.poll(async () => (await tokensOf(server, m2m.clientId)).expired, { timeout: 5000, interval: 100 }).toBe(0);
    expect((await tokensOf(server, m2m.clientId)).live).toBe(1);
  });

  it('with LATCH_PURGE_INTERVAL=0 leaves them', async () => {
    ts = await startTestServer({ purgeInterval: 0 });
    const m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
    await insertTokens(ts.latch.store.kysely, m2m.clientId, 10, now() - 10);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await tokensOf(ts, m2m.clientId)).toEqual({ expired: 10, live: 0 });
  });
});
