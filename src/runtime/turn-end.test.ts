import { describe, expect, it } from 'vitest';
import { TurnEnd, TurnStage } from './turn-end.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('writes nothing during the turn, then everything of the turn in order, at its end', async () => {
    const written: string[] = [];
    const queue = new TurnEnd().queue(undefined, () => undefined);
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
    const queue = new TurnEnd().queue(undefined, () => undefined);
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
    const queue = new TurnEnd().queue(TurnStage.Sign, () => undefined);
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
    const turnEnd = new TurnEnd();
    const queue = turnEnd.queue(undefined, () => undefined);
    // An answer that waited for its commit: deferred by the continuation of a commit-stage task.
    turnEnd.at(TurnStage.Commit, () => {
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
    const queue = new TurnEnd().queue(undefined, (error) => errors.push(error));
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

/**
 * A model of one request, built on the stages as the key ring, the group commit and the app use them: its token is
 * signed (Sign), stored (Commit: the write settles only after the batch is committed), and its answer deferred from
 * that continuation (the app's unstaged queue). The answer records what was committed when it left.
 */
function modelServer(turnEnd: TurnEnd) {
  const log: string[] = [];
  const committed = new Set<string>();
  const signing = turnEnd.queue(TurnStage.Sign, () => undefined);
  const answers = turnEnd.queue(undefined, () => undefined);
  let batch: Array<{ id: string; resolve(): void }> | undefined;
  const store = (id: string) =>
    new Promise<void>((resolve) => {
      if (batch === undefined) {
        const open: Array<{ id: string; resolve(): void }> = [];
        batch = open;
        turnEnd.at(TurnStage.Commit, () => {
          batch = undefined;
          for (const write of open) committed.add(write.id);
          log.push(`commit ${open.map((w) => w.id).join(' ')}`);
          for (const write of open) write.resolve();
        });
      }
      batch.push({ id, resolve });
    });
  const request = async (id: string) => {
    await new Promise<void>((resolve) => signing.defer((name: string) => (log.push(`sign ${name}`), resolve()), id, undefined));
    await store(id);
    await new Promise<void>((resolve) =>
      answers.defer((name: string) => (log.push(`answer ${name}${committed.has(name) ? '' : ' (uncommitted!)'}`), resolve()), id, undefined),
    );
  };
  return { log, request };
}

describe('the stages of the end of a turn', () => {
  it('runs the sign stage, then the commit stage once the continuations of the signing have run, in one turn', async () => {
    const turnEnd = new TurnEnd();
    const log: string[] = [];
    // A request: its token is signed, then stored; the commit settles it.
    const request = async (id: string) => {
      await new Promise<void>((resolve) => turnEnd.at(TurnStage.Sign, () => (log.push(`sign ${id}`), resolve())));
      await Promise.resolve();
      await new Promise<void>((resolve) => turnEnd.at(TurnStage.Commit, () => (log.push(`commit ${id}`), resolve())));
      log.push(`answer ${id}`);
    };
    // Put off in the wrong order on purpose: the stages still run in theirs.
    turnEnd.at(TurnStage.Commit, () => log.push('commit early'));
    void request('a');
    void request('b');
    // The next callback of the same check phase already sees both stages done.
    let seenByNextCallback: string[] = [];
    setImmediate(() => (seenByNextCallback = [...log]));
    await nextTurn();
    expect(seenByNextCallback).toEqual(['sign a', 'sign b', 'commit early', 'commit a', 'commit b', 'answer a', 'answer b']);
  });

  it('runs the write stage only after the commit stage, whatever order the tasks came in', async () => {
    const turnEnd = new TurnEnd();
    const log: string[] = [];
    turnEnd.at(TurnStage.Write, () => log.push('write'));
    turnEnd.at(TurnStage.Commit, () => log.push('commit'));
    turnEnd.at(TurnStage.Sign, () => log.push('sign'));
    await nextTurn();
    expect(log).toEqual(['sign', 'commit', 'write']);
  });

  it('no answer leaves before the write it reports is committed, and all leave in the turn of their commit', async () => {
    const turnEnd = new TurnEnd();
    const { log, request } = modelServer(turnEnd);
    const done = Promise.all([request('a'), request('b'), request('c')]);
    let seenByNextCallback: string[] = [];
    setImmediate(() => (seenByNextCallback = [...log]));
    await nextTurn();
    expect(seenByNextCallback).toEqual(['sign a', 'sign b', 'sign c', 'commit a b c', 'answer a', 'answer b', 'answer c']);
    await done;
  });

  it('an answer deferred by a commit continuation waits for a commit that another continuation opened', async () => {
    const turnEnd = new TurnEnd();
    const log: string[] = [];
    const answers = turnEnd.queue(undefined, () => undefined);
    turnEnd.at(TurnStage.Commit, () => {
      log.push('commit 1');
      // Two continuations of the first commit: one answers, the other writes again (a second batch).
      void Promise.resolve().then(() => answers.defer((name: string) => log.push(name), 'answer', undefined));
      void Promise.resolve().then(() => turnEnd.at(TurnStage.Commit, () => log.push('commit 2')));
    });
    await nextTurn();
    expect(log).toEqual(['commit 1', 'commit 2', 'answer']);
  });

  it('leaves work that keeps coming back to the next turn, so that I/O is not starved', async () => {
    const turnEnd = new TurnEnd();
    let runs = 0;
    const again = () => {
      runs += 1;
      if (runs < 100) turnEnd.at(TurnStage.Commit, again);
    };
    turnEnd.at(TurnStage.Commit, again);
    await nextTurn();
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(100);
    while (runs < 100) await new Promise((resolve) => setTimeout(resolve, 1));
  });

  it('keeps two turn ends of one process independent', async () => {
    const first = new TurnEnd();
    const second = new TurnEnd();
    const log: string[] = [];
    first.at(TurnStage.Commit, () => {
      log.push(`first commit, second running: ${second.running}`);
    });
    second.at(TurnStage.Sign, () => log.push(`second sign, first running: ${first.running}`));
    await nextTurn();
    expect(log).toEqual(['first commit, second running: false', 'second sign, first running: false']);
  });
});

describe('TurnEnd.immediate', () => {
  it('runs the same stages in order, in a microtask, before any I/O or timer', async () => {
    const turnEnd = TurnEnd.immediate();
    const { log, request } = modelServer(turnEnd);
    let timerSeen: string[] | undefined;
    setImmediate(() => (timerSeen = [...log]));
    await Promise.all([request('a'), request('b')]);
    expect(timerSeen).toBeUndefined();
    expect(log).toEqual(['sign a', 'sign b', 'commit a b', 'answer a', 'answer b']);
  });
});
