import { describe, expect, it } from 'vitest';
import { atTurnEnd, TurnQueue, TurnStage } from './turn-queue.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('writes nothing during the turn, then everything of the turn in order, at its end', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(undefined, () => undefined);
    const write = (name: string, suffix: string) => written.push(name + suffix);
    queue.defer(write, 'a', '1');
    await Promise.resolve();
    queue.defer(write, 'b', '2');
    queue.defer(write, 'c', '3');
    expect(written).toEqual([]);
    await nextTurn();
    expect(written).toEqual(['a1', 'b2', 'c3']);
  });

  it('without a stage, a call deferred during the flush goes out at the end of the next turn', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(undefined, () => undefined);
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

  it('in a stage, a call deferred while the stage runs still goes out at the end of the same turn', async () => {
    const signed: string[] = [];
    const queue = new TurnQueue(TurnStage.Sign, () => undefined);
    queue.defer(
      (name: string) => {
        signed.push(name);
        queue.defer((later: string) => signed.push(later), 'later', undefined);
      },
      'first',
      undefined,
    );
    let seenByNextCallback: string[] = [];
    setImmediate(() => (seenByNextCallback = [...signed]));
    await nextTurn();
    expect(seenByNextCallback).toEqual(['first', 'later']);
  });

  it('without a stage, a call deferred while the stages run goes out in a last stage of the same turn', async () => {
    const written: string[] = [];
    const queue = new TurnQueue(undefined, () => undefined);
    // An answer that waited for its commit: deferred by the continuation of a commit-stage task.
    atTurnEnd(TurnStage.Commit, () => {
      void Promise.resolve().then(() => queue.defer((name: string) => written.push(name), 'answer', undefined));
    });
    let seenByNextCallback: string[] = [];
    setImmediate(() => (seenByNextCallback = [...written]));
    await nextTurn();
    expect(seenByNextCallback).toEqual(['answer']);
    // Once the stages are over, a call deferred goes back to a turn end of its own.
    queue.defer((name: string) => written.push(name), 'next', undefined);
    expect(written).toEqual(['answer']);
    await nextTurn();
    expect(written).toEqual(['answer', 'next']);
  });

  it('a write that throws is reported and does not hold back the others', async () => {
    const written: string[] = [];
    const errors: unknown[] = [];
    const queue = new TurnQueue(undefined, (error) => errors.push(error));
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
  it('runs the sign stage, then the commit stage once the continuations of the signing have run, in one turn', async () => {
    const log: string[] = [];
    // A request: its token is signed, then stored; the commit settles it.
    const request = async (id: string) => {
      await new Promise<void>((resolve) => atTurnEnd(TurnStage.Sign, () => (log.push(`sign ${id}`), resolve())));
      await Promise.resolve();
      await new Promise<void>((resolve) => atTurnEnd(TurnStage.Commit, () => (log.push(`commit ${id}`), resolve())));
      log.push(`answer ${id}`);
    };
    // Put off in the wrong order on purpose: the stages still run in theirs.
    atTurnEnd(TurnStage.Commit, () => log.push('commit early'));
    void request('a');
    void request('b');
    // The next callback of the same check phase already sees both stages done.
    let seenByNextCallback: string[] = [];
    setImmediate(() => (seenByNextCallback = [...log]));
    await nextTurn();
    expect(seenByNextCallback).toEqual(['sign a', 'sign b', 'commit early', 'commit a', 'commit b', 'answer a', 'answer b']);
  });

  it('leaves work that keeps coming back to the next turn, so that I/O is not starved', async () => {
    let runs = 0;
    const again = () => {
      runs += 1;
      if (runs < 100) atTurnEnd(TurnStage.Commit, again);
    };
    atTurnEnd(TurnStage.Commit, again);
    await nextTurn();
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(100);
    while (runs < 100) await new Promise((resolve) => setTimeout(resolve, 1));
  });
});
