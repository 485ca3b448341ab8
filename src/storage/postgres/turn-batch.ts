/**
 * Guarantee: the calls of one event-loop turn make one round trip to PostgreSQL together instead of one each, and
 * each caller is answered only with the outcome of its own item (a write: once the statement that holds it has
 * committed). With `maxInFlight`, at most that many of these statements run at once: the calls that arrive while
 * they run wait for one to finish and then go together (group commit), unless it has run longer than `stallMs`.
 *
 * The requests of one turn (every request parsed in one poll phase) call `add`; at the turn's end (setImmediate)
 * `run` gets all their items at once and answers each. If the batch fails for a reason other than the database
 * being unavailable (one bad row: a conflict, a missing client), `one` runs each item on its own, so every caller
 * gets its own answer and no good row is lost with a bad one.
 */
import { StoreUnavailableError } from '../unavailable.js';

export interface TurnBatchOptions<I, R> {
  /** Answers for all `items`, in their order. */
  run(items: I[]): Promise<R[]>;
  /** The same for one item: used alone, and for each item when a batch fails. */
  one(item: I): Promise<R>;
  /** A batch is cut at this many items (bounded statement size). */
  maxItems?: number;
  /** Statements of this batch running at once (default: no limit; each turn's batch goes at once). */
  maxInFlight?: number;
  /**
   * A statement running longer than this (ms) no longer holds its place among `maxInFlight` (one waiting for a lock,
   * a slow disk): the calls behind it go on without it (default 50).
   */
  stallMs?: number;
}

interface Pending<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export function turnBatch<I, R>(options: TurnBatchOptions<I, R>): (item: I) => Promise<R> {
  const maxItems = options.maxItems ?? 500;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const stallMs = options.stallMs ?? 50;
  let pending: Pending<I, R>[] = [];
  let scheduled = false;
  /** Statements running that still hold a place (not finished, not stalled). */
  let holding = 0;

  const schedule = () => {
    if (scheduled || pending.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };

  /** Runs `batch`; its place among maxInFlight is given back when it settles or stalls, whichever comes first. */
  const settle = (batch: Pending<I, R>[]) => {
    holding += 1;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      holding -= 1;
      schedule();
    };
    const stalled = maxInFlight === Number.POSITIVE_INFINITY ? undefined : setTimeout(release, stallMs);
    stalled?.unref();
    const finished = () => {
      if (stalled) clearTimeout(stalled);
      release();
    };
    if (batch.length === 1) {
      const [only] = batch as [Pending<I, R>];
      options.one(only.item).then(only.resolve, only.reject).finally(finished);
      return;
    }
    options
      .run(batch.map((p) => p.item))
      .then(
        (answers) => batch.forEach((p, i) => p.resolve(answers[i] as R)),
        (error: unknown) => {
          if (error instanceof StoreUnavailableError) for (const p of batch) p.reject(error);
          else for (const p of batch) options.one(p.item).then(p.resolve, p.reject);
        },
      )
      .finally(finished);
  };

  const flush = () => {
    scheduled = false;
    // Full: the next statement to finish (or stall) schedules this again, with everything that arrived meanwhile.
    while (pending.length > 0 && holding < maxInFlight) settle(pending.splice(0, maxItems));
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}
