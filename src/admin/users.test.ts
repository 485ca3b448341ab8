import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../core/passwords.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { AdminInputError, AdminNotFoundError, createUser, deleteUser, findUser, setPassword, userToJson } from './users.js';

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
    const user = await createUser(store, { email: '  Alice@Example.COM ', name: 'Alice', password: 'correct horse' }, 1000);
    expect(user.sub).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(user.email).toBe('alice@example.com');
    expect(user.emailVerified).toBe(false);
    expect(user.profile).toEqual({ name: 'Alice' });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash!, 'correct horse')).toBe(true);
    expect(await store.users.findByEmail('ALICE@example.com')).toEqual(user);
    const other = await createUser(store, { email: 'bob@example.com' });
    expect(other.sub).not.toBe(user.sub);
    expect(other.passwordHash).toBeNull();
  });

  it('rejects an invalid email, naming the field', async () => {
    for (const email of ['', 'not-an-email', 'a@', '@b.com', 'a b@c.com', 'a@b..com']) {
      const err = await inputError(createUser(store, { email }));
      expect(err.field).toBe('email');
      expect(err.message).toMatch(/^email: /);
    }
  });

  it('rejects a duplicate email in any case', async () => {
    await createUser(store, { email: 'carol@example.com' });
    const err = await inputError(createUser(store, { email: 'CAROL@example.com' }));
    expect(err.field).toBe('email');
    expect(err.message).toMatch(/already exists/);
  });

  it('rejects a password shorter than 8 characters', async () => {
    const err = await inputError(createUser(store, { email: 'dave@example.com', password: 'short' }));
    expect(err.field).toBe('password');
    expect(err.reason).toMatch(/at least 8/);
    expect(await store.users.findByEmail('dave@example.com')).toBeUndefined();
  });

  it('keeps profile claims and the verified flag', async () => {
    const user = await createUser(store, {
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
    const user = await createUser(store, { email: 'frank@example.com' }, 1000);
    const bySub = await setPassword(store, user.sub, 'first password', 2000);
    expect(bySub.updatedAt).toBe(2000);
    expect(await verifyPassword((await store.users.findBySub(user.sub))!.passwordHash!, 'first password')).toBe(true);
    await setPassword(store, 'FRANK@example.com', 'second password');
    const stored = (await store.users.findBySub(user.sub))!;
    expect(await verifyPassword(stored.passwordHash!, 'second password')).toBe(true);
    expect(await verifyPassword(stored.passwordHash!, 'first password')).toBe(false);
  });

  it('rejects a short password and an unknown user', async () => {
    const user = await createUser(store, { email: 'gina@example.com' });
    expect((await inputError(setPassword(store, user.sub, '1234567'))).field).toBe('password');
    await expect(setPassword(store, 'nobody@example.com', 'long enough')).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('finds and deletes by sub or email', async () => {
    const a = await createUser(store, { email: 'hank@example.com' });
    const b = await createUser(store, { email: 'ivy@example.com' });
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
    const user = await createUser(store, { email: 'jo@example.com', name: 'Jo', password: 'a fine password', profile: { locale: 'fr' } }, 1234);
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
