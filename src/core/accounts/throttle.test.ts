import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import { OneAtATime } from './one-at-a-time.js';
import { enterThrottle, estimate, secondsUntilBelow, slowdownDelay, type SecretAttempt, type ThrottleDeps, type ThrottleEvent, type ThrottleLimits } from './throttle.js';

const limits: ThrottleLimits = { maxFailures: 5, addressMaxFailures: 20, slowdownAfter: 10, maxDelay: 8, window: 900 };
const T0 = 1_900_000_800; // a multiple of 900

describe('throttle arithmetic', () => {
  it('estimates over a sliding window: the previous window fades as the current one goes by', () => {
    expect(estimate({ current: 2, previous: 10 }, 900, T0)).toBe(12);
    expect(estimate({ current: 2, previous: 10 }, 900, T0 + 450)).toBe(7);
    expect(estimate({ current: 2, previous: 10 }, 900, T0 + 899)).toBeCloseTo(2.011, 2);
  });

  it('says when a lock lifts, whichever window holds the failures', () => {
    // Five failures in this window: locked until the next window has faded them below five.
    expect(secondsUntilBelow({ current: 5, previous: 0 }, 5, 900, T0 + 100)).toBe(801);
    expect(secondsUntilBelow({ current: 10, previous: 0 }, 5, 900, T0 + 100)).toBe(800 + 450 + 1);
    // Five in the previous window, none now: lifts as soon as the estimate is below five.
    expect(secondsUntilBelow({ current: 0, previous: 5 }, 5, 900, T0)).toBe(1);
    expect(secondsUntilBelow({ current: 0, previous: 10 }, 5, 900, T0 + 100)).toBe(351);
    expect(secondsUntilBelow({ current: 4, previous: 10 }, 5, 900, T0)).toBe(811);
  });

  it('slows down from the threshold, doubling, never beyond the maximum', () => {
    expect([9, 10, 11, 12, 13, 14, 50, 1e9].map((n) => slowdownDelay(n, limits))).toEqual([0, 1, 2, 4, 8, 8, 8, 8]);
  });
});

describe('enterThrottle', () => {
  let root: string;
  let store: OpenedStore;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-throttle-'));
    store = await openMigratedStore({ dataDir: root });
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function recorder(overrides: Partial<ThrottleLimits> = {}) {
    const events: ThrottleEvent[] = [];
    const waits: number[] = [];
    const deps: ThrottleDeps = {
      rateLimits: store.rateLimits,
      limits: { ...limits, ...overrides },
      report: (event) => events.push(event),
      wait: async (seconds) => void waits.push(seconds),
    };
    return { deps, events, waits };
  }

  let n = 0;
  const someone = () => `person-${++n}@example.test`;
  async function fail(attempt: SecretAttempt, deps: ThrottleDeps) {
    const gate = await enterThrottle(attempt, deps);
    if (gate.kind === 'open') await gate.failed();
    return gate.kind;
  }

  it('locks a subject from one address after its failures there, and reports who, what, when and where', async () => {
    const { deps, events } = recorder();
    const subject = someone();
    const attempt = { kind: 'password' as const, subject, who: 'sha256:abc', address: '192.0.2.1', now: T0 + 10 };
    for (let i = 0; i < 5; i++) expect(await fail(attempt, deps)).toBe('open');
    const locked = await enterThrottle(attempt, deps);
    expect(locked).toEqual({ kind: 'locked', retryAfter: 891 });
    expect(events).toEqual([
      { event: 'login.throttled', kind: 'password', reason: 'subject_address_lock', who: 'sha256:abc', address: '192.0.2.1', failures: 5, retryAfter: 891, at: T0 + 10 },
    ]);
    expect(JSON.stringify(events)).not.toContain(subject);
    // Another address is open; a refused attempt does not count as a failure.
    expect((await enterThrottle({ ...attempt, address: '192.0.2.2' }, deps)).kind).toBe('open');
    // The lock outlives the window boundary (sliding window), then lifts.
    expect((await enterThrottle({ ...attempt, now: T0 + 900 }, deps)).kind).toBe('locked');
    expect((await enterThrottle({ ...attempt, now: T0 + 1800 }, deps)).kind).toBe('open');
  });

  it('counts parallel guesses on one subject from one address: at most the limit get through', async () => {
    const { deps } = recorder();
    const turns = new OneAtATime();
    const attempt = { kind: 'password' as const, subject: someone(), address: '192.0.2.3', now: T0 + 20 };
    const kinds = await Promise.all(Array.from({ length: 12 }, () => fail(attempt, { ...deps, turns })));
    expect(kinds.filter((k) => k === 'open')).toHaveLength(5);
    expect(turns.busy).toBe(0);
  });

  it('never refuses parallel right passwords of one subject from one address', async () => {
    const { deps } = recorder();
    const turns = new OneAtATime();
    const attempt = { kind: 'password' as const, subject: someone(), address: '192.0.2.13', now: T0 + 20 };
    const succeed = async () => {
      const gate = await enterThrottle(attempt, { ...deps, turns });
      if (gate.kind === 'open') await gate.succeeded();
      return gate.kind;
    };
    const kinds = await Promise.all(Array.from({ length: 12 }, succeed));
    expect(kinds).toEqual(Array.from({ length: 12 }, () => 'open'));
    expect(turns.busy).toBe(0);
  });

  it('a check that could not be made counts nothing and lets the next one in', async () => {
    const { deps } = recorder();
    const turns = new OneAtATime();
    const attempt = { kind: 'password' as const, subject: someone(), address: '192.0.2.14', now: T0 + 20 };
    const first = await enterThrottle(attempt, { ...deps, turns });
    if (first.kind !== 'open') throw new Error('expected open');
    const second = enterThrottle(attempt, { ...deps, turns });
    first.abandoned();
    expect((await second).kind).toBe('open');
    const counts = await store.rateLimits.counts(['password:ip:192.0.2.14'], 900, T0 + 20);
    expect(counts.get('password:ip:192.0.2.14')!.current).toBe(0);
  });

  it('a success clears the pair; the address and subject counts keep only failures', async () => {
    const { deps } = recorder();
    const subject = someone();
    const attempt = { kind: 'password' as const, subject, address: '192.0.2.4', now: T0 + 30 };
    for (let i = 0; i < 4; i++) await fail(attempt, deps);
    const gate = await enterThrottle(attempt, deps);
    if (gate.kind !== 'open') throw new Error('expected open');
    await gate.succeeded();
    await expect(gate.failed()).rejects.toThrow(/once/);
    for (let i = 0; i < 4; i++) expect(await fail(attempt, deps)).toBe('open');
    const counts = await store.rateLimits.counts(['password:ip:192.0.2.4'], 900, T0 + 30);
    expect(counts.get('password:ip:192.0.2.4')!.current).toBe(8);
  });

  it('slows a subject down across addresses, never locks it, and reports it', async () => {
    const { deps, events, waits } = recorder({ addressMaxFailures: 1000 });
    const subject = someone();
    for (let i = 0; i < 12; i++) await fail({ kind: 'client_secret', subject, address: `198.51.100.${i}`, now: T0 + 40 }, deps);
    expect(waits).toEqual([1, 2]);
    const owner = await enterThrottle({ kind: 'client_secret', subject, address: '203.0.113.1', now: T0 + 40 }, deps);
    expect(owner.kind).toBe('open');
    expect(waits).toEqual([1, 2, 4]);
    expect(events.at(-1)).toEqual({
      event: 'client_auth.throttled',
      kind: 'client_secret',
      reason: 'subject_slowdown',
      who: subject,
      address: '203.0.113.1',
      failures: 12,
      delay: 4,
      at: T0 + 40,
    });
  });

  it('locks an address after its failures on any subject, and only that address', async () => {
    const { deps, events } = recorder({ addressMaxFailures: 3 });
    for (let i = 0; i < 3; i++) await fail({ kind: 'user_code', address: '192.0.2.50', now: T0 + 50 }, deps);
    expect((await enterThrottle({ kind: 'user_code', address: '192.0.2.50', now: T0 + 50 }, deps)).kind).toBe('locked');
    expect(events[0]).toMatchObject({ event: 'device.user_code_throttled', reason: 'address_lock', address: '192.0.2.50', failures: 3 });
    expect(events[0]).not.toHaveProperty('who');
    expect((await enterThrottle({ kind: 'user_code', address: '192.0.2.51', now: T0 + 50 }, deps)).kind).toBe('open');
    // Each kind counts on its own.
    expect((await enterThrottle({ kind: 'password', subject: someone(), address: '192.0.2.50', now: T0 + 50 }, deps)).kind).toBe('open');
  });
});
