/**
 * Issue 11 §1: sign-in throttling counts failures, not attempts, and never lets one address's failures keep
 * someone out elsewhere. Different client addresses are posed through X-Forwarded-For, believed only because
 * LATCH_TRUST_PROXY names 127.0.0.1 (the test's own address) as the proxy.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../src/storage/open.js';
import { Browser, findLoginForm, postLogin, type Page } from '../helpers/browser.js';
import { openLoginPage } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const databaseUrl = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

const loginPage = openLoginPage;

/** One sign-in through the login page, from `address` (X-Forwarded-For) when given. */
async function signIn(ts: TestServer, web: TestClient, email: string, password: string, address?: string): Promise<Page> {
  const browser = new Browser(address ? { headers: { 'x-forwarded-for': address } } : {});
  return postLogin(browser, await loginPage(ts, web, browser), email, password);
}

const backends = [
  { name: 'SQLite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];

describe.each(backends)('behind one address (NAT, or a proxy Latch does not trust), on $name', ({ postgres }) => {
  const schema = `latch_throttle_${randomBytes(6).toString('hex')}`;
  let store: OpenedStore | undefined;
  let ts: TestServer;
  let web: TestClient;

  beforeAll(async () => {
    if (postgres) {
      store = await openMigratedStore({ dataDir: '/nonexistent', databaseUrl, schema });
      ts = await startTestServer({ databaseUrl }, { store });
    } else {
      ts = await startTestServer();
    }
    web = await ts.client({ kind: 'web' });
  });
  afterAll(async () => {
    await ts?.close();
    if (store) {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.kysely);
      await store.close();
    }
  });

  it('60 sign-ins with the right password, six people, one address, within a minute: all succeed', async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => ts.user()));
    const statuses = await Promise.all(
      people.map(async (person) => {
        const seen: number[] = [];
        for (let i = 0; i < 10; i++) seen.push((await signIn(ts, web, person.email, person.password)).status);
        return seen;
      }),
    );
    expect(statuses.flat()).toEqual(Array(60).fill(303));
  });

  it('25 wrong passwords on one account: throttled (429 + Retry-After), and other accounts from the same address are not', async () => {
    const target = await ts.user();
    const statuses: number[] = [];
    let last: Page | undefined;
    for (let i = 0; i < 25; i++) {
      last = await signIn(ts, web, target.email, `wrong-${i}`);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(401));
    expect(statuses.slice(5)).toEqual(Array(20).fill(429));
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body).toMatch(/Too many failed sign-ins for this account/);
    expect(findLoginForm(last!)).toBeDefined();
    // The account is locked from this address, even against the right password.
    expect((await signIn(ts, web, target.email, target.password)).status).toBe(429);
    const others = await Promise.all(Array.from({ length: 5 }, () => ts.user()));
    for (const other of others) expect((await signIn(ts, web, other.email, other.password)).status).toBe(303);
  });
});

describe('behind a trusted proxy: failures elsewhere', () => {
  let ts: TestServer;
  let web: TestClient;

  beforeAll(async () => {
    ts = await startTestServer({ trustProxy: '127.0.0.1', throttleMaxDelay: 0.05, throttleAddressMaxFailures: 12 });
    web = await ts.client({ kind: 'web' });
  });
  afterAll(() => ts?.close());

  it("a stranger cannot lock the owner out: the owner's right password from the owner's address succeeds after 25 failures elsewhere", async () => {
    const owner = await ts.user();
    const strangers = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
    const statuses: number[] = [];
    for (const address of strangers) {
      for (let i = 0; i < 6; i++) statuses.push((await signIn(ts, web, owner.email, `guess-${address}-${i}`, address)).status);
    }
    // Five failures per stranger's address, then that address is locked for this account.
    expect(statuses).toEqual(strangers.flatMap(() => [401, 401, 401, 401, 401, 429]));
    expect((await signIn(ts, web, owner.email, owner.password, '203.0.113.10')).status).toBe(303);
    // The stranger, even with the right password, stays locked out from their own address.
    expect((await signIn(ts, web, owner.email, owner.password, strangers[0])).status).toBe(429);
  });

  it('an address is locked after its own failures on many accounts; other addresses are not', async () => {
    const address = '198.51.100.77';
    const victims = await Promise.all(Array.from({ length: 13 }, () => ts.user()));
    for (const victim of victims.slice(0, 12)) expect((await signIn(ts, web, victim.email, 'wrong', address)).status).toBe(401);
    const locked = await signIn(ts, web, victims[12]!.email, victims[12]!.password, address);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signIn(ts, web, victims[12]!.email, victims[12]!.password, '198.51.100.78')).status).toBe(303);
  });

  it('a success from the address resets its count for that account', async () => {
    const person = await ts.user();
    const address = '198.51.100.90';
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await signIn(ts, web, person.email, 'typo', address)).status).toBe(401);
      expect((await signIn(ts, web, person.email, person.password, address)).status).toBe(303);
    }
  });
});

describe('LATCH_TRUST_PROXY', () => {
  it.each([
    ['off (the default)', {}],
    ['naming another proxy', { trustProxy: '10.9.8.7, 192.0.2.0/24' }],
  ])('%s: a spoofed X-Forwarded-For from an untrusted peer is ignored', async (_name, overrides) => {
    const ts = await startTestServer({ throttleMaxFailures: 3, ...overrides });
    try {
      const web = await ts.client({ kind: 'web' });
      const person: TestUser = await ts.user();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await signIn(ts, web, person.email, 'wrong', `198.51.100.${i + 1}`)).status);
      // Every request counted for 127.0.0.1, whatever it claimed.
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await ts.close();
    }
  });

  it('a hop count believes that many proxies', async () => {
    const ts = await startTestServer({ throttleMaxFailures: 3, trustProxy: '1' });
    try {
      const web = await ts.client({ kind: 'web' });
      const person = await ts.user();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await signIn(ts, web, person.email, 'wrong', `198.51.100.${i + 1}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401]);
    } finally {
      await ts.close();
    }
  });
});
