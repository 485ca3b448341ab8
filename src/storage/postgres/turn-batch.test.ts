import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../unavailable.js';
import { turnBatch } from './turn-batch.js';

/** A statement the test finishes by hand: each call of run/one is recorded with its items. */
function fakeStatements() {
  const calls: { items: number[]; finish(): void; fail(error: unknown): void }[] = [];
  const call = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({ items, finish: () => resolve(items.map((i) => i * 10)), fail: reject });
    });
  return {
    calls,
    run: (items: number[]) => call(items),
    one: (item: number) => call([item]).then((answers) => answers[0] as number),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('turnBatch', () => {
  it('sends the calls of one turn together, each answered with its own result', async () => {
    const s = fakeStatements();
    const add = turnBatch({ run: s.run, one: s.one });
    const answers = Promise.all([add(1), add(2), add(3)]);
    await turn();
    expect(s.calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    s.calls[0]!.finish();
    expect(await answers).toEqual([10, 20, 30]);
  });

  it('without a limit, a turn does not wait for the statement of the turn before', async () => {
    const s = fakeStatements();
    const add = turnBatch({ run: s.run, one: s.one });
    void add(1);
    await turn();
    void add(2);
    await turn();
    expect(s.calls.map((c) => c.items)).toEqual([[1], [2]]);
  });

  it('with maxInFlight 1, the calls that arrive while a statement runs wait for it, then go in one statement', async () => {
    const s = fakeStatements();
    const add = turnBatch({ run: s.run, one: s.one, maxInFlight: 1 });
    const first = add(1);
    await turn();
    const later = [add(2), add(3)];
    await turn();
    const last = add(4);
    await turn();
    // Nothing more is sent while the first statement runs (a lone request still went at once).
    expect(s.calls.map((c) => c.items)).toEqual([[1]]);
    s.calls[0]!.finish();
    expect(await first).toBe(10);
    await turn();
    await turn();
    expect(s.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    s.calls[1]!.finish();
    expect(await Promise.all([...later, last])).toEqual([20, 30, 40]);
  });

  it('a statement that runs longer than stallMs no longer holds the others back', async () => {
    const s = fakeStatements();
    const add = turnBatch({ run: s.run, one: s.one, maxInFlight: 1, stallMs: 30 });
    const stuck = add(1);
    await turn();
    const behind = add(2);
    await turn();
    expect(s.calls).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await turn();
    expect(s.calls.map((c) => c.items)).toEqual([[1], [2]]);
    s.calls[1]!.finish();
    expect(await behind).toBe(20);
    s.calls[0]!.finish();
    expect(await stuck).toBe(10);
  });

  it('a failed statement gives its place back: unavailable fails every caller; another error retries each alone', async () => {
    const s = fakeStatements();
    const add = turnBatch({ run: s.run, one: s.one, maxInFlight: 1 });
    const down = [add(1), add(2)].map((p) => p.catch((e: unknown) => e));
    await turn();
    s.calls[0]!.fail(new StoreUnavailableError('gone'));
    for (const outcome of await Promise.all(down)) expect(outcome).toBeInstanceOf(StoreUnavailableError);

    const mixed = [add(3), add(4)];
    await turn();
    s.calls[1]!.fail(new Error('one bad row'));
    await turn();
    // Each item alone, then the batch slot is free again for new calls.
    expect(s.calls.slice(2).map((c) => c.items)).toEqual([[3], [4]]);
    for (const call of s.calls.slice(2)) call.finish();
    expect(await Promise.all(mixed)).toEqual([30, 40]);
    const next = add(5);
    await turn();
    expect(s.calls.at(-1)?.items).toEqual([5]);
    s.calls.at(-1)!.finish();
    expect(await next).toBe(50);
  });
});
