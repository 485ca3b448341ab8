import { describe, expect, it } from 'vitest';
import { TurnQueue } from './turn-queue.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('writes nothing during the turn, then everything of the turn in order, at its end', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(() => undefined);
    const write = (name: string, suffix: string) => written.push(name + suffix);
    queue.defer(write, 'a', '1');
    await Promise.resolve();
    queue.defer(write, 'b', '2');
    queue.defer(write, 'c', '3');
    expect(written).toEqual([]);
    await nextTurn();
    expect(written).toEqual(['a1', 'b2', 'c3']);
  });

  it('a write deferred during the flush goes out at the end of the next turn', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(() => undefined);
    queue.defer(
      (name: string) => {
        written.push(name);
        queue.defer((later: string) => written.push(later), 'later', undefined);
      },
      'first',
      undefined,
    );
    await nextTurn();
    expect(written).toEqual(['first']);
    await nextTurn();
    expect(written).toEqual(['first', 'later']);
  });

  it('a write that throws is reported and does not hold back the others', async () => {
    const written: string[] = [];
    const errors: unknown[] = [];
    const queue = new TurnQueue((error) => errors.push(error));
    queue.defer((name: string) => written.push(name), 'a', undefined);
    queue.defer(() => {
      throw new Error('socket gone');
    }, undefined, undefined);
    queue.defer((name: string) => written.push(name), 'c', undefined);
    await nextTurn();
    expect(written).toEqual(['a', 'c']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('socket gone');
  });
});
