/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
export const slowDownIncrement = 5;

/** What the store keeps about a device code's polling. */
export interface PollingState {
  /** The minimum number of seconds the client must wait between polls, as last told to the client. */
  interval: number;
  /** When the client last polled, or null before its first poll. */
  lastPolledAt: number | null;
}

export type PendingPoll =
  | { error: 'authorization_pending'; interval: number }
  | { error: 'slow_down'; interval: number };

/**
 * The answer to a poll while the person has not decided yet, and the interval to keep from now on.
 * RFC 8628 §3.5 slow_down: "A variant of authorization_pending, the authorization request is still pending and
 * polling should continue, but the interval MUST be increased by 5 seconds for this and all subsequent requests."
 * The first poll is never too fast: the client may poll as soon as it has shown the code.
 */
export function pendingPoll(state: PollingState, now: number): PendingPoll {
  if (state.lastPolledAt !== null && now - state.lastPolledAt < state.interval) {
    return { error: 'slow_down', interval: state.interval + slowDownIncrement };
  }
  return { error: 'authorization_pending', interval: state.interval };
}
