import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { AdminNotFoundError, endAllSessions, endSession, listSessions, sessionToJson } from './sessions.js';
import { createUser } from './users.js';


const passwords = loadPasswordPolicy();
let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-sessions-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const operator = { sub: 'op', clientId: null, address: '198.51.100.7' };

async function session(sub: string, sid: string, createdAt: number, expiresAt = 10_000) {
  await store.sessions.create({ idDigest: `digest-${sid}`, sid, sub, authTime: createdAt, amr: ['pwd'], createdAt, expiresAt });
}

describe('sessions of a user', () => {
  it('lists the live ones newest first, without the cookie digest', async () => {
    const user = await createUser(store, passwords, { email: 'una@example.com' });
    await session(user.sub, 'old', 1000);
    await session(user.sub, 'new', 2000);
    await session(user.sub, 'gone', 500, 1500);
    const sessions = await listSessions(store, user.sub, 3000);
    expect(sessions.map((s) => s.sid)).toEqual(['new', 'old']);
    const json = sessionToJson(sessions[0]!);
    expect(json).toEqual({ sid: 'new', sub: user.sub, auth_time: 2000, amr: ['pwd'], created_at: 2000, expires_at: 10_000 });
    expect(JSON.stringify(json)).not.toContain('digest-');
    await expect(listSessions(store, 'nobody')).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('ends one session by sid, then all, each an event', async () => {
    const user = await createUser(store, passwords, { email: 'vic@example.com' });
    await session(user.sub, 'a', 1000);
    await session(user.sub, 'b', 1001);
    await session(user.sub, 'c', 1002);
    expect((await endSession(store, 'a', operator, 3000)).sub).toBe(user.sub);
    expect((await listSessions(store, user.sub, 3000)).map((s) => s.sid)).toEqual(['c', 'b']);
    await expect(endSession(store, 'a', operator, 3000)).rejects.toMatchObject({ kind: 'session', id: 'a' });
    expect(await endAllSessions(store, user.sub, operator, 3000)).toBe(2);
    expect(await listSessions(store, user.sub, 3000)).toEqual([]);
    await expect(endAllSessions(store, 'nobody', operator)).rejects.toBeInstanceOf(AdminNotFoundError);
    const events = (await store.events.page({ type: 'session.ended' }, { limit: 10 })).items;
    expect(events.map((e) => e.data)).toEqual([{ count: 2 }, { sid: 'a' }]);
    for (const e of events) expect(e).toMatchObject({ sub: user.sub, actorSub: 'op', address: '198.51.100.7' });
  });
});
