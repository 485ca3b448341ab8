import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../core/passwords.js';
import { createClient } from './clients.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import {
  AdminInputError,
  AdminNotFoundError,
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  findUser,
  getUser,
  grantRole,
  listUsers,
  revokeRole,
  setPassword,
  updateUser,
  userToJson,
} from './users.js';


const passwords = loadPasswordPolicy();
let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-users-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function inputError(promise: Promise<unknown>): Promise<AdminInputError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminInputError);
  return err as AdminInputError;
}

describe('createUser', () => {
  it('creates a user with a random sub, a lower-cased email and an argon2id password hash', async () => {
    const user = await createUser(store, passwords, { email: '  Alice@Example.COM ', name: 'Alice', password: 'correct horse' }, 1000);
    expect(user.sub).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(user.email).toBe('alice@example.com');
    expect(user.emailVerified).toBe(false);
    expect(user.profile).toEqual({ name: 'Alice' });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash!, 'correct horse')).toBe(true);
    expect(await store.users.findByEmail('ALICE@example.com')).toEqual(user);
    const other = await createUser(store, passwords, { email: 'bob@example.com' });
    expect(other.sub).not.toBe(user.sub);
    expect(other.passwordHash).toBeNull();
  });

  it('rejects an invalid email, naming the field', async () => {
    for (const email of ['', 'not-an-email', 'a@', '@b.com', 'a b@c.com', 'a@b..com']) {
      const err = await inputError(createUser(store, passwords, { email }));
      expect(err.field).toBe('email');
      expect(err.message).toMatch(/^email: /);
    }
  });

  it('rejects a duplicate email in any case', async () => {
    await createUser(store, passwords, { email: 'carol@example.com' });
    const err = await inputError(createUser(store, passwords, { email: 'CAROL@example.com' }));
    expect(err.field).toBe('email');
    expect(err.message).toMatch(/already exists/);
  });

  it('rejects a password shorter than 8 characters', async () => {
    const err = await inputError(createUser(store, passwords, { email: 'dave@example.com', password: 'short' }));
    expect(err.field).toBe('password');
    expect(err.reason).toMatch(/at least 8/);
    expect(await store.users.findByEmail('dave@example.com')).toBeUndefined();
  });

  it('refuses one of the most common passwords, whatever its case, and creates no one', async () => {
    const created = async () => (await store.events.page({ type: 'user.created' }, { limit: 100 })).items.length;
    const before = await created();
    for (const password of ['password123', 'PASSWORD123', 'Qwertyuiop', '12345678']) {
      const err = await inputError(createUser(store, passwords, { email: 'common@example.com', password }));
      expect(err.field).toBe('password');
      expect(err.reason).toBe('is one of the most common passwords; choose another');
    }
    expect(await store.users.findByEmail('common@example.com')).toBeUndefined();
    expect(await created()).toBe(before);
  });

  it('rejects a password longer than 1024 characters', async () => {
    const err = await inputError(createUser(store, passwords, { email: 'long@example.com', password: 'x'.repeat(1025) }));
    expect(err.field).toBe('password');
    expect(err.reason).toMatch(/at most 1024/);
    expect(await store.users.findByEmail('long@example.com')).toBeUndefined();
  });

  it('keeps profile claims and the verified flag', async () => {
    const user = await createUser(store, passwords, {
      email: 'erin@example.com',
      emailVerified: true,
      profile: { given_name: 'Erin', locale: 'en-GB', address: { country: 'UK' } },
    });
    expect(user.emailVerified).toBe(true);
    expect((await store.users.findBySub(user.sub))?.profile).toEqual({ given_name: 'Erin', locale: 'en-GB', address: { country: 'UK' } });
  });
});

describe('setPassword, findUser, deleteUser', () => {
  it('sets a password by sub or by email', async () => {
    const user = await createUser(store, passwords, { email: 'frank@example.com' }, 1000);
    const bySub = await setPassword(store, passwords, user.sub, 'first password', 2000);
    expect(bySub.updatedAt).toBe(2000);
    expect(await verifyPassword((await store.users.findBySub(user.sub))!.passwordHash!, 'first password')).toBe(true);
    await setPassword(store, passwords, 'FRANK@example.com', 'second password');
    const stored = (await store.users.findBySub(user.sub))!;
    expect(await verifyPassword(stored.passwordHash!, 'second password')).toBe(true);
    expect(await verifyPassword(stored.passwordHash!, 'first password')).toBe(false);
  });

  it('rejects a short password and an unknown user', async () => {
    const user = await createUser(store, passwords, { email: 'gina@example.com' });
    expect((await inputError(setPassword(store, passwords, user.sub, '1234567'))).field).toBe('password');
    await expect(setPassword(store, passwords, 'nobody@example.com', 'long enough')).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('refuses a common password or an over-long one, and keeps the old password', async () => {
    const user = await createUser(store, passwords, { email: 'gus@example.com', password: 'the first password' }, 1000);
    for (const password of ['password123', 'Password123', 'iloveyou', 'x'.repeat(1025)]) {
      const err = await inputError(setPassword(store, passwords, user.sub, password, 2000));
      expect(err.field).toBe('password');
      expect(err.reason).toMatch(/most common passwords|at most 1024/);
    }
    const stored = (await store.users.findBySub(user.sub))!;
    expect(stored.updatedAt).toBe(1000);
    expect(await verifyPassword(stored.passwordHash!, 'the first password')).toBe(true);
    expect((await store.events.page({ type: 'user.password_set' }, { limit: 50 })).items.filter((e) => e.sub === user.sub)).toEqual([]);
  });

  it('finds and deletes by sub or email', async () => {
    const a = await createUser(store, passwords, { email: 'hank@example.com' });
    const b = await createUser(store, passwords, { email: 'ivy@example.com' });
    expect((await findUser(store, 'HANK@example.com'))?.sub).toBe(a.sub);
    expect((await findUser(store, b.sub))?.email).toBe('ivy@example.com');
    expect((await deleteUser(store, 'hank@example.com')).sub).toBe(a.sub);
    expect((await deleteUser(store, b.sub)).sub).toBe(b.sub);
    await expect(deleteUser(store, b.sub)).rejects.toThrow(/user not found/);
    expect(await store.users.list()).toEqual([]);
  });
});

describe('userToJson', () => {
  it('uses OIDC claim names and never includes the password hash', async () => {
    const user = await createUser(store, passwords, { email: 'jo@example.com', name: 'Jo', password: 'a fine password', profile: { locale: 'fr' } }, 1234);
    const json = userToJson(user);
    expect(json).toEqual({
      sub: user.sub,
      email: 'jo@example.com',
      email_verified: false,
      name: 'Jo',
      locale: 'fr',
      roles: [],
      disabled: false,
      disabled_at: null,
      has_password: true,
      created_at: 1234,
      updated_at: 1234,
    });
    expect(JSON.stringify(json)).not.toContain('argon2');
  });
});

async function events(type?: string) {
  return (await store.events.page(type ? { type } : {}, { limit: 100 })).items;
}

const operator = { sub: 'operator-sub', clientId: 'latch-console', address: '203.0.113.9' };

async function grantFor(sub: string, scope: string, name = 'Some app') {
  const existing = (await store.clients.list()).find((c) => c.metadata.client_name === name);
  const clientId = existing?.clientId ?? (await createClient(store, { name, kind: 'web', redirectUris: ['https://app.example/cb'] })).client.clientId;
  const grantId = `g-${Math.random().toString(36).slice(2)}`;
  await store.grants.create({ grantId, clientId, sub, scope, sid: null, authTime: 1000, amr: ['pwd'], createdAt: 1000, revokedAt: null });
  return grantId;
}

async function sessionFor(sub: string, sid = `sid-${Math.random().toString(36).slice(2)}`) {
  await store.sessions.create({ idDigest: `d-${sid}`, sid, sub, authTime: 1000, amr: ['pwd'], createdAt: 1000, expiresAt: 4_000_000_000 });
  return sid;
}

describe('roles', () => {
  it('are given at creation, sorted and without duplicates, and recorded with who created the user', async () => {
    const user = await createUser(store, passwords, { email: 'root@example.com', roles: ['support', 'admin', 'admin'] }, 1000, operator);
    expect(user.roles).toEqual(['admin', 'support']);
    expect((await store.users.findBySub(user.sub))?.roles).toEqual(['admin', 'support']);
    const [created] = await events('user.created');
    expect(created).toMatchObject({ type: 'user.created', sub: user.sub, actorSub: 'operator-sub', actorClientId: 'latch-console', address: '203.0.113.9' });
    expect(created?.data).toEqual({ roles: ['admin', 'support'] });
  });

  it('refuse a bad role name, naming the field, and create nothing', async () => {
    for (const role of ['Admin', 'has space', '', 'x'.repeat(65), 'é']) {
      const err = await inputError(createUser(store, passwords, { email: 'bad-role@example.com', roles: [role] }));
      expect(err.field).toBe('roles');
    }
    expect(await store.users.findByEmail('bad-role@example.com')).toBeUndefined();
    const user = await createUser(store, passwords, { email: 'ok-role@example.com' });
    expect((await inputError(grantRole(store, user.sub, 'Admin'))).field).toBe('role');
  });

  it('grantRole and revokeRole change the roles once, each change an event', async () => {
    const user = await createUser(store, passwords, { email: 'kim@example.com' }, 1000);
    expect((await grantRole(store, user.sub, 'admin', operator, 2000)).roles).toEqual(['admin']);
    expect((await grantRole(store, user.sub, 'admin', operator, 2001)).roles).toEqual(['admin']);
    expect((await grantRole(store, user.sub, 'billing', operator, 2002)).roles).toEqual(['admin', 'billing']);
    expect((await revokeRole(store, user.sub, 'admin', operator, 3000)).roles).toEqual(['billing']);
    expect((await revokeRole(store, user.sub, 'admin', operator, 3001)).roles).toEqual(['billing']);
    expect((await store.users.findBySub(user.sub))?.roles).toEqual(['billing']);
    expect((await events('user.role_granted')).map((e) => e.data.role).sort()).toEqual(['admin', 'billing']);
    expect((await events('user.role_revoked')).map((e) => e.data.role)).toEqual(['admin']);
    await expect(grantRole(store, 'nobody', 'admin')).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('revoking admin revokes the grants that carry an admin scope, and only those', async () => {
    const user = await createUser(store, passwords, { email: 'lee@example.com', roles: ['admin'] });
    const adminGrant = await grantFor(user.sub, 'openid admin:read');
    const writeGrant = await grantFor(user.sub, 'admin:write');
    const plainGrant = await grantFor(user.sub, 'openid profile');
    await revokeRole(store, user.sub, 'admin', operator, 5000);
    expect((await store.grants.find(adminGrant))?.revokedAt).toBe(5000);
    expect((await store.grants.find(writeGrant))?.revokedAt).toBe(5000);
    expect((await store.grants.find(plainGrant))?.revokedAt).toBeNull();
    expect((await events('user.role_revoked'))[0]?.data).toEqual({ role: 'admin', grants_revoked: 2 });
  });

  it('revoking another role revokes no grant', async () => {
    const user = await createUser(store, passwords, { email: 'mo@example.com', roles: ['admin', 'billing'] });
    const adminGrant = await grantFor(user.sub, 'openid admin:read');
    await revokeRole(store, user.sub, 'billing');
    expect((await store.grants.find(adminGrant))?.revokedAt).toBeNull();
  });
});

describe('disableUser and enableUser', () => {
  it('disabling sets disabledAt, revokes every grant and ends every session; enabling lets them back', async () => {
    const user = await createUser(store, passwords, { email: 'nia@example.com', password: 'a long password' });
    const other = await createUser(store, passwords, { email: 'oz@example.com' });
    const grants = [await grantFor(user.sub, 'openid'), await grantFor(user.sub, 'openid offline_access', 'Other app')];
    const otherGrant = await grantFor(other.sub, 'openid');
    await sessionFor(user.sub);
    await sessionFor(user.sub);
    const otherSession = await sessionFor(other.sub);

    const disabled = await disableUser(store, user.sub, operator, 7000);
    expect(disabled.disabledAt).toBe(7000);
    expect(userToJson(disabled)).toMatchObject({ disabled: true, disabled_at: 7000 });
    expect((await store.users.findBySub(user.sub))?.disabledAt).toBe(7000);
    for (const g of grants) expect((await store.grants.find(g))?.revokedAt).toBe(7000);
    expect(await store.sessions.listBySub(user.sub, 7000)).toEqual([]);
    expect((await store.grants.find(otherGrant))?.revokedAt).toBeNull();
    expect((await store.sessions.findBySid(otherSession, 7000))?.sub).toBe(other.sub);
    const [event] = await events('user.disabled');
    expect(event).toMatchObject({ sub: user.sub, actorSub: 'operator-sub', address: '203.0.113.9', data: { grants_revoked: 2, sessions_ended: 2 } });

    expect((await disableUser(store, user.sub, operator, 8000)).disabledAt).toBe(7000);
    expect(await events('user.disabled')).toHaveLength(1);

    const enabled = await enableUser(store, user.sub, operator, 9000);
    expect(enabled.disabledAt).toBeNull();
    expect((await store.users.findBySub(user.sub))?.disabledAt).toBeNull();
    expect(userToJson(enabled)).toMatchObject({ disabled: false, disabled_at: null });
    expect(await events('user.enabled')).toHaveLength(1);
    await expect(disableUser(store, 'nobody')).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});

describe('updateUser', () => {
  it('changes claims, email and email_verified, and records which claims changed (not their values)', async () => {
    const user = await createUser(store, passwords, { email: 'pat@example.com', emailVerified: true, profile: { name: 'Pat', nickname: 'P' } }, 1000);
    const updated = await updateUser(store, user.sub, { name: 'Pat Doe', nickname: null, locale: 'de-de', email: 'PAT.DOE@example.com' }, operator, 2000);
    expect(updated).toMatchObject({ email: 'pat.doe@example.com', emailVerified: false, profile: { name: 'Pat Doe', locale: 'de-DE' }, updatedAt: 2000 });
    expect(await store.users.findBySub(user.sub)).toEqual(updated);
    const [event] = await events('user.updated');
    expect(event?.data).toEqual({ claims: ['email', 'email_verified', 'locale', 'name', 'nickname'] });
    expect(JSON.stringify(event)).not.toContain('Pat Doe');

    const verified = await updateUser(store, user.sub, { email_verified: true }, operator, 3000);
    expect(verified.emailVerified).toBe(true);
    const both = await updateUser(store, user.sub, { email: 'pat3@example.com', email_verified: true }, operator, 3500);
    expect(both.emailVerified).toBe(true);
    expect((await updateUser(store, user.sub, { name: 'Pat Doe' }, operator, 4000)).updatedAt).toBe(3500);
  });

  it('refuses a wrong claim or a taken email and changes nothing', async () => {
    const user = await createUser(store, passwords, { email: 'quin@example.com', profile: { name: 'Quin' } }, 1000);
    await createUser(store, passwords, { email: 'taken@example.com' });
    const before = await store.users.findBySub(user.sub);
    expect((await inputError(updateUser(store, user.sub, { name: 'New', picture: 'nope' }))).field).toBe('picture');
    expect((await inputError(updateUser(store, user.sub, { email: 'TAKEN@example.com' }))).field).toBe('email');
    expect((await inputError(updateUser(store, user.sub, { email: 'not an email' }))).field).toBe('email');
    expect((await inputError(updateUser(store, user.sub, { email: null as unknown as string }))).field).toBe('email');
    expect((await inputError(updateUser(store, user.sub, { email_verified: 'yes' as unknown as boolean }))).field).toBe('email_verified');
    expect((await inputError(updateUser(store, user.sub, { roles: ['admin'] } as never))).field).toBe('roles');
    expect(await store.users.findBySub(user.sub)).toEqual(before);
    expect(await events('user.updated')).toEqual([]);
    await expect(updateUser(store, 'nobody', { name: 'X' })).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});

describe('events of the other changes', () => {
  it('setPassword and deleteUser are recorded, and no event holds a password or its hash', async () => {
    const user = await createUser(store, passwords, { email: 'ray@example.com', password: 'first secret pw' }, 1000, operator);
    await setPassword(store, passwords, user.sub, 'second secret pw', 2000, operator);
    await deleteUser(store, user.sub, operator);
    const all = await events();
    expect(all.map((e) => e.type).sort()).toEqual(['user.created', 'user.deleted', 'user.password_set']);
    for (const e of all) expect(e).toMatchObject({ sub: user.sub, actorSub: 'operator-sub' });
    const text = JSON.stringify(all);
    expect(text).not.toContain('secret pw');
    expect(text).not.toContain('argon2');
  });

  it('getUser and listUsers', async () => {
    const a = await createUser(store, passwords, { email: 'sam@example.com' });
    await createUser(store, passwords, { email: 'tia@example.com' });
    expect((await getUser(store, a.sub)).email).toBe('sam@example.com');
    await expect(getUser(store, 'sam@example.com')).rejects.toBeInstanceOf(AdminNotFoundError);
    const page = await listUsers(store, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    expect((await listUsers(store, { limit: 10, q: 'TIA' })).items.map((u) => u.email)).toEqual(['tia@example.com']);
  });
});
