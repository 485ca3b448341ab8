import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../core/passwords.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { AdminInputError } from './errors.js';
import { checkSetupToken, completeSetup, ensureSetupLink, SETUP_TTL, setupLinkText } from './setup.js';
import { createUser } from './users.js';


const passwords = loadPasswordPolicy();
let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-setup-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const issuer = 'https://id.example.test';
const by = { sub: null, clientId: null, address: '192.0.2.1' };
const input = { email: 'First@Example.test', name: 'First Admin', password: 'a long enough password' };
const key = Buffer.alloc(32, 1);
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

describe('first-admin setup', () => {
  it('makes no link once someone has the admin role', async () => {
    await createUser(store, passwords, { email: 'admin@example.test', roles: ['admin'] });
    expect(await ensureSetupLink(store, issuer, key)).toBeUndefined();
    expect(await store.settings.getAdminSetup()).toBeUndefined();
  });

  it('says how long the link lasts and what the shell offers instead', () => {
    const text = setupLinkText(`${issuer}/console/setup?token=x`).join('\n');
    expect(text).toContain('valid for 1 hour and works once');
    expect(text).toContain('latch users create --email you@example.com --role admin');
  });

  it('creates the admin once, with a verified email, the admin role and the password, and records the event', async () => {
    const now = 1_800_000_000;
    const token = tokenOf((await ensureSetupLink(store, issuer, key, now))!);
    expect(await checkSetupToken(store, token, now + SETUP_TTL - 1)).toBe('valid');
    const result = await completeSetup(store, passwords, token, input, by, now + 10);
    expect(result.ok).toBe(true);
    const user = (await store.users.findByEmail('first@example.test'))!;
    expect(user).toMatchObject({ roles: ['admin'], emailVerified: true, disabledAt: null, profile: { name: 'First Admin' } });
    expect(await verifyPassword(user.passwordHash!, input.password)).toBe(true);
    const events = await store.events.page({ type: 'admin.setup_completed' }, { limit: 5 });
    expect(events.items).toMatchObject([{ sub: user.sub, address: '192.0.2.1', actorSub: null }]);
    const created = await store.events.page({ type: 'user.created' }, { limit: 5 });
    expect(created.items).toMatchObject([{ sub: user.sub, address: '192.0.2.1' }]);
    expect(await completeSetup(store, passwords, token, { ...input, email: 'second@example.test' }, by, now + 11)).toEqual({ ok: false, reason: 'admin_exists' });
  });

  it('refuses an expired token and a wrong one, and a bad field leaves the link usable', async () => {
    const now = 1_800_000_000;
    const token = tokenOf((await ensureSetupLink(store, issuer, key, now))!);
    expect(await completeSetup(store, passwords, token, input, by, now + SETUP_TTL)).toEqual({ ok: false, reason: 'invalid' });
    expect(await completeSetup(store, passwords, 'x'.repeat(43), input, by, now)).toEqual({ ok: false, reason: 'invalid' });
    for (const [field, bad] of [['email', { email: 'not an email' }], ['name', { name: '  ' }], ['password', { password: 'short' }], ['password', { password: 'Password123' }], ['password', { password: 'x'.repeat(1025) }]] as const) {
      const err = await completeSetup(store, passwords, token, { ...input, ...bad }, by, now).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminInputError);
      expect((err as AdminInputError).field).toBe(field);
    }
    expect(await store.users.countWithRole('admin')).toBe(0);
    expect(await checkSetupToken(store, token, now)).toBe('valid');
  });
});
