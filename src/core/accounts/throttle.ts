/**
 * Throttling of every secret a person or client types: passwords (login page and password grant), client
 * secrets and assertions (client authentication), and device user codes. Only failures count, so people who
 * type the right secret never add up, however many of them share one address.
 *
 * Three counts per kind of secret, each over a sliding window (the current fixed window plus the previous one,
 * weighted by how much of it still overlaps):
 * - subject + address (hard): after `maxFailures` failures from one address for one account or client, that
 *   pair is locked until the estimate falls below the limit; a success from that address clears it.
 * - address (hard): after `addressMaxFailures` failures from one address, whatever the subject.
 * - subject (soft): after `slowdownAfter` failures for one account or client from anywhere, every attempt waits
 *   before its secret is checked (1 s, doubling with every further failure, at most `maxDelay`); never a lock,
 *   so a stranger cannot keep the owner out from the owner's own address.
 * Password checks of one account from one address take turns (one-at-a-time.ts), so parallel guesses see each
 * other's failures, and parallel right passwords are never refused for each other.
 */
import type { RateLimitsRepository, WindowCounts } from '../../storage/types.js';
import { digest } from '../tokens/hash.js';
import type { OneAtATime } from './one-at-a-time.js';

export interface ThrottleLimits {
  /** Failures per subject and address before a temporary lock. */
  maxFailures: number;
  /** Failures per address, whatever the subject, before a temporary lock. */
  addressMaxFailures: number;
  /** Failures per subject from all addresses after which every attempt on it is slowed down. */
  slowdownAfter: number;
  /** Longest slowdown, in seconds. */
  maxDelay: number;
  /** Seconds over which failures are counted. */
  window: number;
}

/** What kind of secret is checked; each kind counts on its own. */
export type SecretKind = 'password' | 'client_secret' | 'user_code' | 'second_factor';

const eventNames = {
  password: 'login.throttled',
  client_secret: 'client_auth.throttled',
  user_code: 'device.user_code_throttled',
  second_factor: 'factor.throttled',
} as const satisfies Record<SecretKind, string>;

/**
 * A typed log event: who (a digest of the account's email, or the client_id; never the secret), what, when,
 * from where. `subject_address_lock` and `address_lock` refuse the attempt; `subject_slowdown` delays it.
 */
export interface ThrottleEvent {
  event: (typeof eventNames)[SecretKind];
  kind: SecretKind;
  reason: 'subject_address_lock' | 'address_lock' | 'subject_slowdown';
  /** `sha256:<digest of the normalized email>` for passwords, the client_id for clients, absent for user codes. */
  who?: string;
  address: string;
  /** The failure estimate that triggered it. */
  failures: number;
  /** Seconds until the lock lifts (locks). */
  retryAfter?: number;
  /** Seconds the attempt waited (slowdowns). */
  delay?: number;
  /** Unix seconds. */
  at: number;
}

export interface ThrottleDeps {
  rateLimits: Pick<RateLimitsRepository, 'hit' | 'counts' | 'reset'>;
  limits: ThrottleLimits;
  report(event: ThrottleEvent): void;
  /** Waits `seconds`; tests may pass a recorder. */
  wait?(seconds: number): Promise<void>;
  /** Turns per account and address for password checks (one per process, created at start). */
  turns?: OneAtATime;
}

export interface SecretAttempt {
  kind: SecretKind;
  /** The account (normalized email) or client_id the secret is for; absent when the secret names no one (user codes). */
  subject?: string;
  /** What the log shows as `who`: e.g. a digest of the email. Defaults to the subject. */
  who?: string;
  /** The caller's address; undefined counts as one shared unknown address. */
  address: string | undefined;
  now: number;
}

/** An attempt let through: the caller checks the secret, then says how it went (exactly once). */
export interface ThrottleTicket {
  kind: 'open';
  succeeded(): Promise<void>;
  failed(): Promise<void>;
  /** The check could not be made (the store failed): counts nothing, gives the turn back. */
  abandoned(): void;
}

export type ThrottleGate = ThrottleTicket | { kind: 'locked'; retryAfter: number };

const defaultWait = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/** The sliding estimate at `now`: this window's count plus the previous one's, weighted by its remaining overlap. */
export function estimate(counts: WindowCounts, window: number, now: number): number {
  const elapsed = (now - Math.floor(now / window) * window) / window;
  return counts.current + counts.previous * (1 - elapsed);
}

/** Seconds from `now` until the estimate drops below `limit`, if no more failures arrive (at least 1). */
export function secondsUntilBelow(counts: WindowCounts, limit: number, window: number, now: number): number {
  const start = Math.floor(now / window) * window;
  const { current, previous } = counts;
  // Within this window the estimate falls while the previous window's weight fades; afterwards this window's
  // count becomes the fading one.
  const at =
    current >= limit ? start + window + window * (1 - limit / current) : start + window * (1 - (limit - current) / Math.max(previous, 1));
  return Math.max(1, Math.floor(at - now) + 1);
}

/** Seconds a slowed-down attempt waits: 1 at the threshold, doubling with each further failure, at most `maxDelay`. */
export function slowdownDelay(failures: number, limits: Pick<ThrottleLimits, 'slowdownAfter' | 'maxDelay'>): number {
  if (failures < limits.slowdownAfter) return 0;
  return Math.min(limits.maxDelay, 2 ** Math.min(30, Math.floor(failures - limits.slowdownAfter)));
}

/** Subjects kept as they are in keys: short, and without the `:` that separates a key's parts. */
const plainSubject = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * The rate-limit keys of an attempt. A subject that is short and plain (a client_id) is used as it is, behind `=`;
 * any other (an email, whatever a caller typed) by its digest, behind `#`, so that keys stay short and unambiguous.
 */
export function throttleKeys(attempt: Pick<SecretAttempt, 'kind' | 'subject' | 'address'>) {
  const address = attempt.address ?? 'unknown';
  const given = attempt.subject;
  const subject = given === undefined ? undefined : plainSubject.test(given) ? `=${given}` : `#${digest(given)}`;
  return {
    address: `${attempt.kind}:ip:${address}`,
    pair: subject === undefined ? undefined : `${attempt.kind}:pair:${subject}:${address}`,
    subject: subject === undefined ? undefined : `${attempt.kind}:subject:${subject}`,
  };
}

/**
 * Decides whether an attempt may check its secret: locked (with the seconds to wait), or open after any
 * slowdown. RFC 6749 §2.3.1 and §10.10, RFC 8628 §5.1: the server MUST protect secrets against brute force.
 */
export async function enterThrottle(attempt: SecretAttempt, deps: ThrottleDeps): Promise<ThrottleGate> {
  const { limits, rateLimits } = deps;
  const { window } = limits;
  const { now } = attempt;
  const keys = throttleKeys(attempt);
  const address = attempt.address ?? 'unknown';
  // What every event of this attempt says; built only when there is something to report.
  const base = () => {
    // A client_id is whatever the caller typed: the log keeps a bounded part of it.
    const who = (attempt.who ?? attempt.subject)?.slice(0, 200);
    return { event: eventNames[attempt.kind], kind: attempt.kind, ...(who === undefined ? {} : { who }), address, at: now };
  };

  // RFC 6749 §10.10: parallel guesses must not escape the count. A password check of one account from one address
  // waits for the one before it, then reads what it left. (Client secrets are generated with 256 bits: not worth it.)
  const leave = keys.pair !== undefined && attempt.kind === 'password' && deps.turns ? await deps.turns.enter(keys.pair) : () => undefined;
  if (leave === undefined) {
    const retryAfter = 1;
    deps.report({ ...base(), reason: 'subject_address_lock', failures: 0, retryAfter });
    return { kind: 'locked', retryAfter };
  }
  let read: Map<string, WindowCounts>;
  try {
    read = await rateLimits.counts([keys.address, ...(keys.pair ? [keys.pair] : []), ...(keys.subject ? [keys.subject] : [])], window, now);
  } catch (error) {
    leave();
    throw error;
  }
  const zero = { current: 0, previous: 0 };
  const pairRead = keys.pair ? (read.get(keys.pair) ?? zero) : zero;
  // Almost always nothing has failed: then there is nothing to check (client authentication, on every request).
  let anyFailures = false;
  for (const counts of read.values()) if (counts.current + counts.previous > 0) anyFailures = true;
  if (anyFailures) {
    const checks = [
      ...(keys.pair ? [{ reason: 'subject_address_lock' as const, counts: pairRead, limit: limits.maxFailures }] : []),
      { reason: 'address_lock' as const, counts: read.get(keys.address) ?? zero, limit: limits.addressMaxFailures },
    ];
    for (const check of checks) {
      const failures = estimate(check.counts, window, now);
      if (failures >= check.limit) {
        leave();
        const retryAfter = secondsUntilBelow(check.counts, check.limit, window, now);
        deps.report({ ...base(), reason: check.reason, failures: Math.floor(failures), retryAfter });
        return { kind: 'locked', retryAfter };
      }
    }

    if (keys.subject) {
      const failures = estimate(read.get(keys.subject) ?? zero, window, now);
      const delay = slowdownDelay(failures, limits);
      if (delay > 0) {
        deps.report({ ...base(), reason: 'subject_slowdown', failures: Math.floor(failures), delay });
        await (deps.wait ?? defaultWait)(delay);
      }
    }
  }

  let settled = false;
  const settle = () => {
    if (settled) throw new Error('a throttle ticket is settled once');
    settled = true;
  };
  return {
    kind: 'open',
    async succeeded() {
      settle();
      try {
        // A success from this address clears the pair.
        if (keys.pair && pairRead.current + pairRead.previous > 0) await rateLimits.reset(keys.pair);
      } finally {
        leave();
      }
    },
    async failed() {
      settle();
      try {
        const counted = [keys.address, ...(keys.subject ? [keys.subject] : []), ...(keys.pair ? [keys.pair] : [])];
        await Promise.all(counted.map((key) => rateLimits.hit(key, window, now)));
      } finally {
        leave();
      }
    },
    abandoned() {
      settle();
      leave();
    },
  };
}
