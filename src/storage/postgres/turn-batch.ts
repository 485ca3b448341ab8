/**
 * Guarantee: the calls of one event-loop turn make one round trip to PostgreSQL together instead of one each, and
 * each caller is answered only with the outcome of its own item (a write: once the statement that holds it has
 * committed).
 *
 * The requests of one turn (every request parsed in one poll phase) call `add`; at the turn's end (setImmediate)
 * `run` gets all their items at once and answers each. If the batch fails for a reason other than the database
 * being unavailable (one bad row: a conflict, a foreign key), `one` runs each item on its own, so every caller gets
 * its own answer and no good row is lost with a bad one.
 */
import { StoreUnavailableError } from '../unavailable.js';

export interface TurnBatchOptions<I, R> {
  /** Answers for all `items`, in their order. */
  run(items: I[]): Promise<R[]>;
  /** The same for one item: used alone, and for each item when a batch fails. */
  one(item: I): Promise<R>;
  /** A batch is cut at this many items (bounded statement size). */
  maxItems?: number;
}

interface Pending<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export function turnBatch<I, R>(options: TurnBatchOptions<I, R>): (item: I) => Promise<R> {
  const maxItems = options.maxItems ?? 500;
  let pending: Pending<I, R>[] = [];

  const settle = (batch: Pending<I, R>[]) => {
    if (batch.length === 1) {
      const [only] = batch as [Pending<I, R>];
      options.one(only.item).then(only.resolve, only.reject);
      return;
    }
    options.run(batch.map((p) => p.item)).then(
      (answers) => batch.forEach((p, i) => p.resolve(answers[i] as R)),
      (error: unknown) => {
        if (error instanceof StoreUnavailableError) for (const p of batch) p.reject(error);
        else for (const p of batch) options.one(p.item).then(p.resolve, p.reject);
      },
    );
  };

  const flush = () => {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += maxItems) settle(all.slice(i, i + maxItems));
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}
