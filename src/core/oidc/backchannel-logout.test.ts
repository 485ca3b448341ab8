import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../admin/clients.js';
import { createUser } from '../../admin/users.js';
import { loadPasswordPolicy } from '../accounts/password-policy.js';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import type { ClientMetadata, ClientRecord } from '../../storage/types.js';
import { logoutNotices, sessionClients } from './backchannel-logout.js';
import { frontchannelLogoutUrls } from './logout.js';

const issuer = 'https://id.example.test';
let dataDir: string;
let store: OpenedStore;
const clients: Record<string, ClientRecord> = {};
let ada: string;
let bob: string;

async function client(name: string, metadata: Partial<ClientMetadata>): Promise<ClientRecord> {
  const { client: created } = await createClient(store, { name, kind: 'web', redirectUris: [`https://${name}.example.test/cb`] });
  const updated = { ...created, metadata: { ...created.metadata, ...metadata } };
  await store.clients.update(created.clientId, { metadata: updated.metadata });
  return (clients[name] = updated);
}

async function grant(id: string, clientId: string, who: 'ada' | 'bob', sid: string | null): Promise<void> {
  const sub = who === 'ada' ? ada : bob;
  await store.grants.create({ grantId: id, clientId, sub, scope: 'openid', sid, authTime: 1, amr: ['pwd'], createdAt: 1, revokedAt: null });
}

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  const schema = `latch_logout_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-backchannel-'));
    store = dialect === 'sqlite' ? await openMigratedStore({ dataDir }) : await openMigratedStore({ dataDir, databaseUrl, schema });
    ada = (await createUser(store, loadPasswordPolicy(), { email: 'ada@example.test' })).sub;
    bob = (await createUser(store, loadPasswordPolicy(), { email: 'bob@example.test' })).sub;
    await client('back', { backchannel_logout_uri: 'https://back.example.test/bc' });
    await client('strict', { backchannel_logout_uri: 'https://strict.example.test/bc', backchannel_logout_session_required: true });
    await client('front', { frontchannel_logout_uri: 'https://front.example.test/fc?x=1', frontchannel_logout_session_required: true });
    await client('none', {});
    await grant('g1', clients.back!.clientId, 'ada', 's1');
    await grant('g2', clients.back!.clientId, 'ada', 's1'); // a second grant in the same session: one notice
    await grant('g3', clients.strict!.clientId, 'ada', 's1');
    await grant('g4', clients.front!.clientId, 'ada', 's1');
    await grant('g5', clients.none!.clientId, 'ada', 's1');
    await grant('g6', clients.back!.clientId, 'ada', 's2');
    await grant('g7', clients.strict!.clientId, 'ada', 'old');
    await grant('g8', clients.back!.clientId, 'bob', 's3');
  });

  afterAll(async () => {
    if (dialect === 'postgres') await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const summary = (list: Array<{ client: ClientRecord; sid: string | null }>) => list.map((n) => `${n.client.metadata.client_name}:${n.sid}`).sort();

  describe('who hears that a session ended', () => {
    it('every client with a grant of that session, once each; only those with a back-channel URI get a notice', async () => {
      const found = await sessionClients(store, { sub: ada, sids: ['s1'] });
      expect(summary(found)).toEqual(['back:s1', 'front:s1', 'none:s1', 'strict:s1']);
      const notices = logoutNotices(found);
      expect(summary(notices)).toEqual(['back:s1', 'strict:s1']);
      expect(notices.find((n) => n.client.clientId === clients.back!.clientId)?.uri).toBe('https://back.example.test/bc');
    });

    it('another session of the person, or another person\'s session, is not told', async () => {
      expect(summary(await sessionClients(store, { sub: ada, sids: ['s2'] }))).toEqual(['back:s2']);
      expect(summary(await sessionClients(store, { sub: bob, sids: ['s1'] }))).toEqual([]);
    });

    it('a person who is gone: clients outside the live sessions by sub alone, except those that require a sid', async () => {
      const found = await sessionClients(store, { sub: ada, sids: ['s2'], person: true });
      expect(summary(found)).toEqual(['back:s2', 'front:null', 'none:null', 'strict:null']);
      expect(summary(logoutNotices(found))).toEqual(['back:s2']);
    });

    it('front-channel: the registered URI, with iss and sid when the client requires them', async () => {
      const found = await sessionClients(store, { sub: ada, sids: ['s1'] });
      expect(frontchannelLogoutUrls(found, issuer)).toEqual([`https://front.example.test/fc?x=1&iss=${encodeURIComponent(issuer)}&sid=s1`]);
      const relaxed = found.map((c) => ({ ...c, client: { ...c.client, metadata: { ...c.client.metadata, frontchannel_logout_session_required: false } } }));
      expect(frontchannelLogoutUrls(relaxed, issuer)).toEqual(['https://front.example.test/fc?x=1']);
      const scripted = found.map((c) => ({ ...c, client: { ...c.client, metadata: { ...c.client.metadata, frontchannel_logout_uri: 'javascript:alert(1)' } } }));
      expect(frontchannelLogoutUrls(scripted, issuer)).toEqual([]);
    });
  });
});
