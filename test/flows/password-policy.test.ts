/**
 * Passwords over real HTTP: the admin API refuses one of the most common passwords (400 naming `password`,
 * nothing changed), and a person whose stored hash was made with older argon2 parameters signs in (login page,
 * password grant) and leaves a hash with today's parameters in the store; a failed sign-in leaves it as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsRehash, verifyPassword } from '../../src/core/passwords.js';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { expectTokenError, expectTokens, obtainTokens, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const TODAY = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

let ts: TestServer;
let call: AdminCall;
let web: TestClient;
let passwordClient: TestClient;
beforeAll(async () => {
  ts = await startTestServer({ passwordGrant: true });
  call = adminApi(ts, (await machineAdmin(ts)).token);
  web = await ts.client({ kind: 'web' });
  passwordClient = await ts.client({ kind: 'web', grantTypes: ['password'] });
});
afterAll(async () => {
  await ts?.close();
});

const storedHash = async (sub: string) => (await ts.latch.store.users.findBySub(sub))!.passwordHash!;

/** A person whose password was hashed as an older Latch did: argon2id with 4 MiB and one pass. */
async function personWithOldHash(): Promise<TestUser & { oldHash: string }> {
  const person = await ts.user();
  const { hash } = await import('@node-rs/argon2');
  const oldHash = await hash(person.password, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
  expect(await ts.latch.store.users.update(person.sub, { passwordHash: oldHash, updatedAt: 1 })).toBe(true);
  expect(await needsRehash(oldHash)).toBe(true);
  return { ...person, oldHash };
}

describe('the admin API refuses the most common passwords', () => {
  it('PUT /users/{sub}/password with "password123" answers 400 naming password, and the old password still works', async () => {
    const person = await ts.user();
    const before = await storedHash(person.sub);
    for (const password of ['password123', 'PASSWORD123', 'iloveyou', 'qwertyuiop']) {
      const res = await call('PUT', `/users/${person.sub}/password`, { password });
      expectInvalid(res, 'password');
      expect(JSON.stringify(res.body)).toContain('is one of the most common passwords; choose another');
    }
    expect(await storedHash(person.sub)).toBe(before);
    expect(await verifyPassword(before, person.password)).toBe(true);
    expect((await call('PUT', `/users/${person.sub}/password`, { password: 'a much less common password' })).status).toBe(204);
  });

  it('POST /users with a common password answers 400 naming password and creates no one', async () => {
    const email = `common-${Math.random().toString(36).slice(2, 8)}@example.test`;
    expectInvalid(await call('POST', '/users', { email, password: 'Password123' }), 'password');
    expect(await ts.latch.store.users.findByEmail(email)).toBeUndefined();
  });
});

describe('a sign-in rehashes a hash made with older parameters', () => {
  it('the login page: the person signs in, and the store holds a hash with today\'s parameters that verifies', async () => {
    const person = await personWithOldHash();
    const { tokens } = await obtainTokens(ts, new Browser(), web, person);
    expect(tokens.id_token).toBeTruthy();
    const now = await storedHash(person.sub);
    expect(now).not.toBe(person.oldHash);
    expect(now).toMatch(TODAY);
    expect(await verifyPassword(now, person.password)).toBe(true);
    // And signs in again with it.
    await obtainTokens(ts, new Browser(), web, person);
    expect(await storedHash(person.sub)).toBe(now);
  });

  it('the password grant: a wrong password changes nothing; the right one gets tokens and rehashes', async () => {
    const person = await personWithOldHash();
    const grant = (password: string) => tokenRequest(ts, { grant_type: 'password', username: person.email, password, scope: 'openid' }, passwordClient);
    expectTokenError(await grant('not the password'), 400, 'invalid_grant');
    expect(await storedHash(person.sub)).toBe(person.oldHash);
    expectTokens(await grant(person.password));
    const now = await storedHash(person.sub);
    expect(now).toMatch(TODAY);
    expect(await verifyPassword(now, person.password)).toBe(true);
  });

  it("a hash with today's parameters is left as it is", async () => {
    const person = await ts.user();
    const before = await storedHash(person.sub);
    expect(before).toMatch(TODAY);
    expectTokens(await tokenRequest(ts, { grant_type: 'password', username: person.email, password: person.password, scope: 'openid' }, passwordClient));
    expect(await storedHash(person.sub)).toBe(before);
  });
});
