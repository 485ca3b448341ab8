import type { FastifyBaseLogger } from 'fastify';
import type { OneAtATime } from '../core/accounts/one-at-a-time.js';
import type { ThrottleDeps, ThrottleLimits } from '../core/accounts/throttle.js';
import type { Config } from '../config/schema.js';

type ThrottleSettings = Pick<Config, 'throttleMaxFailures' | 'throttleAddressMaxFailures' | 'throttleSlowdownAfter' | 'throttleMaxDelay' | 'throttleWindow'>;

/** The throttle's numbers from the settings (README: "Limits"). */
export function throttleLimits(config: ThrottleSettings): ThrottleLimits {
  return {
    maxFailures: config.throttleMaxFailures,
    addressMaxFailures: config.throttleAddressMaxFailures,
    slowdownAfter: config.throttleSlowdownAfter,
    maxDelay: config.throttleMaxDelay,
    window: config.throttleWindow,
  };
}

/** The throttle's dependencies: its counts in the store, and its typed events in the log (warn). */
export function throttleDeps(rateLimits: ThrottleDeps['rateLimits'], limits: ThrottleLimits, log: FastifyBaseLogger, turns?: OneAtATime): ThrottleDeps {
  return { rateLimits, limits, report: (event) => log.warn(event, event.event), ...(turns && { turns }) };
}

/** A sign-in whose rehashed password could not be stored still succeeds; the log says so (never the password). */
export function rehashFailureReporter(log: FastifyBaseLogger): (sub: string, error: unknown) => void {
  return (sub, err) => log.warn({ event: 'login.rehash_failed', sub, err }, 'the new password hash of a sign-in could not be stored');
}

/** "in 40 seconds", "in 3 minutes": how long a person has to wait, for a page. */
export function waitPhrase(seconds: number): string {
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  return `in ${Math.ceil(seconds / 60)} minutes`;
}
