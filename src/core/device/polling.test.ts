import { describe, expect, it } from 'vitest';
import { pendingPoll, slowDownIncrement } from './polling.js';

describe('pendingPoll (RFC 8628 §3.5)', () => {
  it('answers authorization_pending to the first poll, however early', () => {
    expect(pendingPoll({ interval: 5, lastPolledAt: null }, 1000)).toEqual({ error: 'authorization_pending', interval: 5 });
  });

  it('answers authorization_pending when the client waited the interval', () => {
    expect(pendingPoll({ interval: 5, lastPolledAt: 1000 }, 1005)).toEqual({ error: 'authorization_pending', interval: 5 });
    expect(pendingPoll({ interval: 5, lastPolledAt: 1000 }, 1060)).toEqual({ error: 'authorization_pending', interval: 5 });
  });

  it('answers slow_down and adds 5 seconds when the client polls faster than the interval', () => {
    expect(slowDownIncrement).toBe(5);
    expect(pendingPoll({ interval: 5, lastPolledAt: 1000 }, 1004)).toEqual({ error: 'slow_down', interval: 10 });
    expect(pendingPoll({ interval: 5, lastPolledAt: 1000 }, 1000)).toEqual({ error: 'slow_down', interval: 10 });
  });

  it('keeps growing while the client keeps polling too fast, and measures against the grown interval', () => {
    let state = { interval: 5, lastPolledAt: 1000 as number | null };
    const answers: string[] = [];
    for (const now of [1001, 1002, 1003]) {
      const poll = pendingPoll(state, now);
      answers.push(poll.error);
      state = { interval: poll.interval, lastPolledAt: now };
    }
    expect(answers).toEqual(['slow_down', 'slow_down', 'slow_down']);
    expect(state.interval).toBe(20);
    // Waiting the old 5 seconds is no longer enough; waiting 20 is.
    expect(pendingPoll(state, 1008).error).toBe('slow_down');
    expect(pendingPoll(state, 1023)).toEqual({ error: 'authorization_pending', interval: 20 });
  });
});
