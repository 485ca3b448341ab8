import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnEnd, TurnStage } from '../runtime/turn-end.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import type { KeysRepository } from '../storage/types.js';
import { loadKeyRing, RETIRED_KEY_RETENTION, rotateKeys } from './key-ring.js';
import type { SigningAlg } from './types.js';

const ALL: SigningAlg[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let dataDir: string;
let store: OpenedStore;
let repo: KeysRepository;
let secret: Uint8Array;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-keys-'));
  // The store commits each write in a microtask: these tests need no end of the turn.
  store = await openMigratedStore({ dataDir, turnEnd: TurnEnd.immediate() });
  repo = store.keys;
  secret = new Uint8Array(randomBytes(32));
  clock = 1_700_000_000;
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const claims = (extra: JWTPayload = {}): JWTPayload => {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: 'https://issuer.example', sub: 'user-1', aud: 'client-1', iat, exp: iat + 300, ...extra };
};

describe('loadKeyRing', () => {
  it('creates an active and a next key per algorithm on first start, and only once', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ALL, now });
    const keys = await repo.list();
    for (const alg of ALL) {
      expect(keys.filter((k) => k.alg === alg && k.state === 'active')).toHaveLength(1);
      expect(keys.filter((k) => k.alg === alg && k.state === 'next')).toHaveLength(1);
    }
    expect(ring.algorithms).toEqual(ALL);
    await loadKeyRing({ repo, secret, algorithms: ALL, now });
    expect(await repo.list()).toHaveLength(keys.length);
  });

  it('stores private keys only encrypted', async () => {
    await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    for (const key of await repo.list()) {
      expect(key.privateJwkEncrypted.split('.')).toHaveLength(5);
      for (const m of PRIVATE_MEMBERS) expect(key.publicJwk).not.toHaveProperty(m);
    }
  });

  it.each(ALL)('signs and verifies with %s', async (alg) => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ALL, now });
    const jwt = await ring.sign(claims(), { alg, typ: 'at+jwt' });
    const header = decodeProtectedHeader(jwt);
    const active = (await repo.list()).find((k) => k.alg === alg && k.state === 'active')!;
    expect(header).toEqual({ alg, kid: active.kid, typ: 'at+jwt' });
    const { payload } = await ring.verify(jwt, { audience: 'client-1' });
    expect(payload.sub).toBe('user-1');
    // a third party verifies it with the published JWKS alone
    await expect(jwtVerify(jwt, createLocalJWKSet(JSON.parse(ring.jwksJson())))).resolves.toBeDefined();
  });

  it('signs in the Sign stage of the turn end it is given, before that turn end commits', async () => {
    const turnEnd = new TurnEnd();
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now, turnEnd });
    const order: string[] = [];
    turnEnd.at(TurnStage.Commit, () => order.push('commit'));
    const signed = ring.sign(claims(), { alg: 'ES256' }).then(() => order.push('signed'));
    expect(order).toEqual([]);
    await signed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['signed', 'commit']);
  });

  it('defaults typ to JWT', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    expect(decodeProtectedHeader(await ring.sign(claims(), { alg: 'ES256' })).typ).toBe('JWT');
  });

  it('rejects a bad signature, a wrong audience, an expired token (unless allowed) and foreign keys', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const jwt = await ring.sign(claims(), { alg: 'ES256' });
    const [h, p, s] = jwt.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims(), sub: 'admin' })).toString('base64url')}.${s}`;
    await expect(ring.verify(forged)).rejects.toThrow();
    await expect(ring.verify(`${h}.${p}.${s!.slice(0, -4)}AAAA`)).rejects.toThrow();
    await expect(ring.verify(jwt, { audience: 'someone-else' })).rejects.toThrow();

    const expired = await ring.sign(claims({ iat: 1000, exp: 2000 }), { alg: 'ES256' });
    await expect(ring.verify(expired)).rejects.toThrow(/exp/);
    expect((await ring.verify(expired, { allowExpired: true })).payload.exp).toBe(2000);

    const otherDir = await mkdtemp(join(tmpdir(), 'latch-keys-other-'));
    const other = await openMigratedStore({ dataDir: otherDir });
    try {
      const foreign = await loadKeyRing({ repo: other.keys, secret, algorithms: ['ES256'], now });
      await expect(ring.verify(await foreign.sign(claims(), { alg: 'ES256' }))).rejects.toThrow();
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('signs the tokens asked for in one turn together at its end, each with its own claims as they were asked', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256', 'RS256'], now });
    const asked = Array.from({ length: 12 }, (_, i) => claims({ sub: `user-${i}` }));
    let settled = 0;
    const pending = asked.map((payload, i) => ring.sign(payload, { alg: i % 2 ? 'RS256' : 'ES256' }).then((jwt) => ((settled += 1), jwt)));
    // Changing a payload after asking does not change its token: it was serialized when asked for.
    for (const payload of asked) payload.sub = 'changed';
    await Promise.resolve();
    expect(settled).toBe(0);
    const jwts = await Promise.all(pending);
    for (const [i, jwt] of jwts.entries()) {
      const { payload, protectedHeader } = await ring.verify(jwt);
      expect(payload.sub).toBe(`user-${i}`);
      expect(protectedHeader.alg).toBe(i % 2 ? 'RS256' : 'ES256');
    }
  });

  it('a payload that cannot be serialized fails only its own signing', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const good = ring.sign(claims(), { alg: 'ES256' });
    await expect(ring.sign({ ...claims(), n: 1n } as unknown as JWTPayload, { alg: 'ES256' })).rejects.toThrow(/BigInt/);
    await expect(good).resolves.toMatch(/^ey/);
  });

  it('refuses to sign with an algorithm it has no active key for', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    await expect(ring.sign(claims(), { alg: 'EdDSA' })).rejects.toThrow(/no active signing key for EdDSA/);
  });

  it('publishes next and active keys with public members only', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ALL, now });
    const jwks = ring.jwks();
    expect(jwks.keys).toHaveLength(8);
    for (const key of jwks.keys) {
      for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
      expect(key).toMatchObject({ use: 'sig' });
      expect(key.kid).toBeTypeOf('string');
      expect(ALL).toContain(key.alg);
    }
    expect(JSON.parse(ring.jwksJson())).toEqual(jwks);
    jwks.keys.length = 0;
    expect(ring.jwks().keys).toHaveLength(8);
    expect(ring.jwksJson()).not.toMatch(/"d"|"p"|"q"|"dp"|"dq"|"qi"/);
  });

  it('fails clearly with the wrong secret', async () => {
    await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    await expect(
      loadKeyRing({ repo, secret: new Uint8Array(randomBytes(32)), algorithms: ['ES256'], now }),
    ).rejects.toThrow(/LATCH_SECRET/);
  });

  it('keeps a single active key per algorithm when two processes race on first start', async () => {
    await Promise.all([
      loadKeyRing({ repo, secret, algorithms: ['ES256', 'EdDSA'], now }),
      loadKeyRing({ repo, secret, algorithms: ['ES256', 'EdDSA'], now }),
      loadKeyRing({ repo, secret, algorithms: ['ES256', 'EdDSA'], now }),
    ]);
    const keys = await repo.list();
    for (const alg of ['ES256', 'EdDSA']) {
      expect(keys.filter((k) => k.alg === alg && k.state === 'active')).toHaveLength(1);
      expect(keys.filter((k) => k.alg === alg && k.state === 'next')).toHaveLength(1);
    }
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256', 'EdDSA'], now });
    await expect(ring.verify(await ring.sign(claims(), { alg: 'EdDSA' }))).resolves.toBeDefined();
  });
});

describe('rotateKeys', () => {
  it('moves next -> active -> retired; old tokens still verify and the old key stays published', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['RS256', 'ES256'], now });
    const before = await repo.list();
    const oldActive = before.find((k) => k.alg === 'RS256' && k.state === 'active')!;
    const oldNext = before.find((k) => k.alg === 'RS256' && k.state === 'next')!;
    const oldToken = await ring.sign(claims(), { alg: 'RS256' });

    clock += 100;
    const result = await rotateKeys({ repo, secret, algorithms: ['RS256', 'ES256'], now });
    expect(result.activated).toContain(oldNext.kid);
    expect(result.retired).toContain(oldActive.kid);
    expect(result.created).toHaveLength(2);

    const after = await repo.list();
    expect(after.find((k) => k.kid === oldActive.kid)).toMatchObject({ state: 'retired', retiredAt: clock });
    expect(after.find((k) => k.kid === oldNext.kid)).toMatchObject({ state: 'active', activatedAt: clock });
    for (const alg of ['RS256', 'ES256']) {
      expect(after.filter((k) => k.alg === alg && k.state === 'active')).toHaveLength(1);
      expect(after.filter((k) => k.alg === alg && k.state === 'next')).toHaveLength(1);
    }

    await ring.reload();
    const newToken = await ring.sign(claims(), { alg: 'RS256' });
    expect(decodeProtectedHeader(newToken).kid).toBe(oldNext.kid);
    await expect(ring.verify(oldToken)).resolves.toBeDefined();
    await expect(ring.verify(newToken)).resolves.toBeDefined();
    const published = ring.jwks().keys.map((k) => k.kid);
    expect(published).toContain(oldActive.kid);
    expect(published).toHaveLength(6);
  });

  it('prunes keys retired more than 30 days ago', async () => {
    await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const first = (await repo.list()).find((k) => k.state === 'active')!;
    await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    clock += RETIRED_KEY_RETENTION - 10;
    const second = (await repo.list()).find((k) => k.state === 'active')!;
    const r1 = await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    expect(r1.pruned).toEqual([]);
    clock += 20;
    const r2 = await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    expect(r2.pruned).toEqual([first.kid]);
    const kids = (await repo.list()).map((k) => k.kid);
    expect(kids).not.toContain(first.kid);
    expect(kids).toContain(second.kid);
  });

  it('activates only a key already published as next: without one, it creates a next key and activates nothing', async () => {
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const active = (await repo.list()).find((k) => k.state === 'active')!;
    for (const key of await repo.list()) if (key.state === 'next') await repo.delete(key.kid);
    await ring.reload();

    const first = await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    expect(first.activated).toEqual([]);
    expect(first.retired).toEqual([]);
    expect(first.created).toHaveLength(1);
    const keys = await repo.list();
    expect(keys.find((k) => k.kid === active.kid)?.state).toBe('active');
    expect(keys.find((k) => k.kid === first.created[0])?.state).toBe('next');

    await ring.reload();
    expect(ring.jwks().keys.map((k) => k.kid)).toContain(first.created[0]);
    const second = await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    expect(second.activated).toEqual(first.created);
    expect(second.retired).toEqual([active.kid]);
  });

  it('on start without an active key, activates the published next key rather than an unpublished new one', async () => {
    await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const before = await repo.list();
    const active = before.find((k) => k.state === 'active');
    const next = before.find((k) => k.state === 'next');
    await repo.delete(active!.kid);
    clock += 10;
    const ring = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const after = await repo.list();
    expect(after.find((k) => k.state === 'active')?.kid).toBe(next!.kid);
    expect(after.filter((k) => k.state === 'next')).toHaveLength(1);
    expect(after.find((k) => k.state === 'next')?.kid).not.toBe(next!.kid);
    expect(decodeProtectedHeader(await ring.sign(claims(), { alg: 'ES256' })).kid).toBe(next!.kid);
  });

  it('creates the keys when none exist yet', async () => {
    const result = await rotateKeys({ repo, secret, algorithms: ['EdDSA'], now });
    expect(result.created).toHaveLength(2);
    expect(result.activated).toHaveLength(1);
    const keys = await repo.list();
    expect(keys.map((k) => k.state).sort()).toEqual(['active', 'next']);
  });

  it('a key ring picks up a rotation done through another key ring on reload', async () => {
    const server = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const cli = await loadKeyRing({ repo, secret, algorithms: ['ES256'], now });
    const oldKid = decodeProtectedHeader(await server.sign(claims(), { alg: 'ES256' })).kid;
    const jwksBefore = server.jwksJson();

    await rotateKeys({ repo, secret, algorithms: ['ES256'], now });
    await cli.reload();
    const fromCli = await cli.sign(claims(), { alg: 'ES256' });
    expect(decodeProtectedHeader(fromCli).kid).not.toBe(oldKid);

    expect(server.jwksJson()).toBe(jwksBefore);
    await server.reload();
    expect(server.jwksJson()).not.toBe(jwksBefore);
    expect(decodeProtectedHeader(await server.sign(claims(), { alg: 'ES256' })).kid).toBe(decodeProtectedHeader(fromCli).kid);
    await expect(server.verify(fromCli)).resolves.toBeDefined();
    expect(server.jwks().keys).toHaveLength(3);
  });
});
