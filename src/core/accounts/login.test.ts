import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import type { UserRecord, UsersRepository } from '../../storage/types.js';
import { hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import { attemptLogin, type LoginAttemptDeps } from './login.js';

const PASSWORD = 'correct horse battery staple';
const TODAY = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/** Hashes made as an older Latch (or another system) might have: each differs from today's in one parameter. */
const oldHashes: Record<string, (password: string) => Promise<string>> = {
  'less memory and fewer passes': async (pw) => (await import('@node-rs/argon2')).hash(pw, { memoryCost: 4096, timeCost: 1, parallelism: 1 }),
  'argon2i': async (pw) => (await import('@node-rs/argon2')).hash(pw, { algorithm: 1, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
  'a 16-byte hash': async (pw) => (await import('@node-rs/argon2')).hash(pw, { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 16 }),
  'an 8-byte salt': async (pw) =>
    (await import('@node-rs/argon2')).hash(pw, { memoryCost: 19456, timeCost: 2, parallelism: 1, salt: new Uint8Array(8).fill(7) }),
};

describe('attemptLogin rehashes a hash made with other argon2 parameters', () => {
  let root: string;
  let store: OpenedStore;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-login-'));
    store = await openMigratedStore({ dataDir: root });
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  let n = 0;
  async function user(passwordHash: string | null): Promise<UserRecord> {
    const record: UserRecord = {
      sub: `sub-${++n}`,
      email: `person-${n}@example.test`,
      emailVerified: true,
      verificationRequired: false,
      passwordHash,
      profile: {},
      roles: [],
      disabledAt: null,
      createdAt: 1000,
      updatedAt: 1000,
    };
    await store.users.create(record);
    return record;
  }

  function deps(users: LoginAttemptDeps['users'] = store.users) {
    const failures: Array<{ sub: string; error: unknown }> = [];
    const value: LoginAttemptDeps = {
      users,
      throttle: {
        rateLimits: store.rateLimits,
        limits: { maxFailures: 50, addressMaxFailures: 500, slowdownAfter: 500, maxDelay: 1, window: 900 },
        report: () => undefined,
      },
      reportRehashFailure: (sub, error) => void failures.push({ sub, error }),
    };
    return { deps: value, failures };
  }
  const attempt = (email: string, password = PASSWORD) => ({ email, password, ip: '192.0.2.7', now: Math.floor(Date.now() / 1000) });
  const stored = async (sub: string) => (await store.users.findBySub(sub))!;

  for (const [name, make] of Object.entries(oldHashes)) {
    it(`rehashes ${name} with today's parameters on a successful sign-in; the new hash verifies`, async () => {
      const old = await make(PASSWORD);
      expect(await needsRehash(old)).toBe(true);
      const person = await user(old);
      const { deps: d, failures } = deps();
      const result = await attemptLogin(attempt(person.email), d);
      expect(result.kind).toBe('success');
      const now = await stored(person.sub);
      expect(now.passwordHash).not.toBe(old);
      expect(now.passwordHash).toMatch(TODAY);
      expect(await needsRehash(now.passwordHash!)).toBe(false);
      expect(await verifyPassword(now.passwordHash!, PASSWORD)).toBe(true);
      expect(await verifyPassword(now.passwordHash!, 'not the password')).toBe(false);
      // A rehash changes nothing a person or an operator sees.
      expect(now.updatedAt).toBe(1000);
      expect(result.kind === 'success' && result.user.passwordHash).toBe(now.passwordHash);
      expect(failures).toEqual([]);
      // And the person signs in with the new hash.
      expect((await attemptLogin(attempt(person.email), d)).kind).toBe('success');
      expect((await stored(person.sub)).passwordHash).toBe(now.passwordHash);
    });
  }

  it("leaves a hash with today's parameters as it is", async () => {
    const current = await hashPassword(PASSWORD);
    const person = await user(current);
    const updates: string[] = [];
    const users: LoginAttemptDeps['users'] = {
      findByEmail: (email) => store.users.findByEmail(email),
      replacePasswordHash: (sub, current, next) => (updates.push(sub), store.users.replacePasswordHash(sub, current, next)),
    };
    expect((await attemptLogin(attempt(person.email), deps(users).deps)).kind).toBe('success');
    expect((await stored(person.sub)).passwordHash).toBe(current);
    expect(updates).toEqual([]);
  });

  it('never rehashes on a failed sign-in: a wrong password, an unknown account, a disabled account', async () => {
    const old = await oldHashes['less memory and fewer passes']!(PASSWORD);
    const person = await user(old);
    const updates: string[] = [];
    const users: LoginAttemptDeps['users'] = {
      findByEmail: (email) => store.users.findByEmail(email),
      replacePasswordHash: (sub, current, next) => (updates.push(sub), store.users.replacePasswordHash(sub, current, next)),
    };
    const { deps: d } = deps(users);
    expect((await attemptLogin(attempt(person.email, 'wrong password'), d)).kind).toBe('invalid');
    expect((await attemptLogin(attempt(person.email, ''), d)).kind).toBe('invalid');
    expect((await attemptLogin(attempt('nobody@example.test'), d)).kind).toBe('invalid');
    expect((await stored(person.sub)).passwordHash).toBe(old);

    const disabled = await user(old);
    await store.users.update(disabled.sub, { disabledAt: 1, updatedAt: 1000 });
    expect((await attemptLogin(attempt(disabled.email), d)).kind).toBe('disabled');
    expect((await stored(disabled.sub)).passwordHash).toBe(old);
    expect(updates).toEqual([]);
  });

  it('a failure to store the new hash is reported and the sign-in still succeeds, with the old hash kept', async () => {
    const old = await oldHashes['less memory and fewer passes']!(PASSWORD);
    const person = await user(old);
    const boom = new Error('database is read-only');
    const users: Pick<UsersRepository, 'findByEmail' | 'replacePasswordHash'> = {
      findByEmail: (email) => store.users.findByEmail(email),
      replacePasswordHash: async () => {
        throw boom;
      },
    };
    const { deps: d, failures } = deps(users);
    const result = await attemptLogin(attempt(person.email), d);
    expect(result).toEqual({ kind: 'success', user: await stored(person.sub) });
    expect((await stored(person.sub)).passwordHash).toBe(old);
    expect(failures).toEqual([{ sub: person.sub, error: boom }]);
  });

  it('a password set between the check and the rehash is kept: the sign-in succeeds, the new password stays', async () => {
    const old = await oldHashes['less memory and fewer passes']!(PASSWORD);
    const person = await user(old);
    const setMeanwhile = await hashPassword('set by an operator meanwhile');
    const users: LoginAttemptDeps['users'] = {
      findByEmail: (email) => store.users.findByEmail(email),
      replacePasswordHash: async (sub, current, next) => {
        await store.users.update(sub, { passwordHash: setMeanwhile, updatedAt: 2000 });
        return store.users.replacePasswordHash(sub, current, next);
      },
    };
    const { deps: d, failures } = deps(users);
    const result = await attemptLogin(attempt(person.email), d);
    expect(result.kind).toBe('success');
    expect((await stored(person.sub)).passwordHash).toBe(setMeanwhile);
    expect(failures).toEqual([]);
  });
});
