import { describe, expect, it } from 'vitest';
import { atTurnEnd, TurnQueue, TurnStage } from './turn-queue.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('writes nothing during the turn, then everything of the turn in order, at its end', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(TurnStage.Write, () => undefined);
    const write = (name: string, suffix: string) => written.push(name + suffix);
    queue.defer(write, 'a', '1');
    await Promise.resolve();
    queue.defer(write, 'b', '2');
    queue.defer(write, 'c', '3');
    expect(written).toEqual([]);
    await nextTurn();
    expect(written).toEqual(['a1', 'b2', 'c3']);
  });

  it('a call deferred while its stage runs goes out at the end of the same turn, after the others', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(TurnStage.Write, () => undefined);
    queue.defer(
      (name: string) => {
        written.push(name);
        queue.defer((later: string) => written.push(later), 'later', undefined);
      },
      'first',
      undefined,
    );
    let turnEnded = false;
    setImmediate(() => setImmediate(() => (turnEnded = true)));
    await nextTurn();
    await Promise.resolve();
    expect(turnEnded).toBe(false);
    expect(written).toEqual(['first', 'later']);
  });

  it('a write that throws is reported and does not hold back the others', async () => {
    const written: string[] = [];
    const errors: unknown[] = [];
    const queue = new TurnQueue(TurnStage.Write, (error) => errors.push(error));
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

describe('the stages of the end of a turn', () => {
  it('runs sign, commit and write in that order, each after the continuations of the one before, in one turn', async () => {
    const log: string[] = [];
    // A request: its token is signed, then stored (the commit settles it), then its answer is written.
    const request = async (id: string) => {
      await new Promise<void>((resolve) => atTurnEnd(TurnStage.Sign, () => (log.push(`sign ${id}`), resolve())));
      await Promise.resolve();
      await new Promise<void>((resolve) => atTurnEnd(TurnStage.Commit, () => (log.push(`commit ${id}`), resolve())));
      await Promise.resolve();
      atTurnEnd(TurnStage.Write, () => log.push(`write ${id}`));
    };
    // Put off in the wrong order on purpose: stages still run in theirs.
    atTurnEnd(TurnStage.Write, () => log.push('write early'));
    void request('a');
    void request('b');
    // The next callback of the same check phase already sees every stage done.
    let doneBeforeNextCallback: string[] = [];
    setImmediate(() => (doneBeforeNextCallback = [...log]));
    await nextTurn();
    expect(doneBeforeNextCallback).toEqual(['sign a', 'sign b', 'commit a', 'commit b', 'write early', 'write a', 'write b']);
  });

  it('leaves work that keeps coming back to the next turn, so that I/O is not starved', async () => {
    let runs = 0;
    const again = () => {
      runs += 1;
      if (runs < 100) atTurnEnd(TurnStage.Write, again);
    };
    atTurnEnd(TurnStage.Write, again);
    await nextTurn();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(100);
    while (runs < 100) await new Promise((resolve) => setTimeout(resolve, 1));
  });
});
