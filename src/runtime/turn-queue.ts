/**
 * Work put off to the end of the current event-loop turn (its check phase) and then done all together. A turn
 * handles every request that arrived since the last one, dozens under load; doing one kind of work for all of
 * them at once is cheaper than doing it request by request:
 * - signing tokens (keys/key-ring.ts): an ECDSA P-256 signature streams OpenSSL's 150 KB table of precomputed
 *   points through the core's caches, evicting what the rest of the request needs. Signing the turn's tokens
 *   back to back pays for that once. Client credentials with ES256 JWTs: 180-199 -> 134-139 µs per request.
 * - committing the SQLite writes (storage/sqlite/group-commit.ts): one transaction, one WAL write per turn.
 * - writing the answers (http/app.ts): written one by one, each answer wakes the peer (a proxy, a load
 *   balancer, a client on this host) to read it, and on a virtual machine waking another core costs more than
 *   the write itself. Written together, they wake it once. Introspection in the benchmark: 113 -> 65 µs of
 *   server CPU per request.
 *
 * Signing and committing are stages of one end of the turn: the commit stage runs once the continuations of the
 * signing have run, so the tokens signed go into the batch that commits in the same turn. (Before, each had its
 * own setImmediate, and a token signed at the end of one turn was committed at the end of the next: refresh
 * rotation 603/560 -> 546/484 µs per request in alternating runs.) Answers ready during the poll phase (reads
 * such as introspection) keep a setImmediate of their own: with every write in a third stage, introspection was
 * slower, for a reason not found yet. Answers that waited for a stage (a commit) are written in a last stage of
 * the same check phase instead of one turn later, after the next turn's I/O: client credentials 48.5/46.9/45.2 ->
 * 43.6/43.8/44.0 µs per request, ES256 80.2/81.2/79.5 -> 77.5/76.9/75.7 µs, introspection unchanged.
 * Nothing waits longer than the rest of its own turn, which is already under way; a lone request on an idle
 * server waits for nothing.
 */
export const TurnStage = { Sign: 0, Commit: 1, Write: 2 } as const;
export type TurnStage = (typeof TurnStage)[keyof typeof TurnStage];

const pending: Array<Array<() => void>> = [[], [], []];
let scheduled = false;
/** True while the stages of the end of a turn run (their tasks, and the continuations those tasks start). */
let running = false;
/** Stage runs in one check phase before the rest waits for the next turn, so that I/O is never starved. */
const MAX_STAGE_RUNS = 12;

/** Runs `task` at the end of this turn, in `stage`, after the tasks of that stage added before it. */
export function atTurnEnd(stage: TurnStage, task: () => void): void {
  (pending[stage] as Array<() => void>).push(task);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runStages, MAX_STAGE_RUNS);
  }
}

function runStages(runsLeft: number): void {
  const stage = pending.findIndex((tasks) => tasks.length > 0);
  if (stage < 0) {
    scheduled = false;
    running = false;
    return;
  }
  if (runsLeft === 0) {
    running = false;
    setImmediate(runStages, MAX_STAGE_RUNS);
    return;
  }
  running = true;
  for (const task of (pending[stage] as Array<() => void>).splice(0)) {
    try {
      task();
    } catch (error) {
      // A task that throws is a bug: report it as an uncaught exception would be, after the others have run.
      process.nextTick(() => {
        throw error;
      });
    }
  }
  // A tick queued from a microtask runs once the microtask queue is empty, continuations of continuations included.
  queueMicrotask(() => process.nextTick(runStages, runsLeft - 1));
}

/** Calls put off to one stage of the end of the turn, in the order they were put off. */
export class TurnQueue {
  /** Flat triples (function, first argument, second argument): no closure per item. */
  readonly #queue: unknown[] = [];
  readonly #stage: TurnStage | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #flush = (): void => this.#runAll();

  /**
   * `stage`: where in the end of the turn the calls run; without one, in a setImmediate of their own.
   * `onError` receives what a deferred call throws; the calls after it still run.
   */
  constructor(stage: TurnStage | undefined, onError: (error: unknown) => void) {
    this.#stage = stage;
    this.#onError = onError;
  }

  /** Calls `fn(a, b)` at the end of this turn, after the calls deferred before it. */
  defer<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    this.#queue.push(fn, a, b);
    if (this.#queue.length !== 3) return;
    if (this.#stage !== undefined) atTurnEnd(this.#stage, this.#flush);
    // Calls put off by the stages themselves (answers that waited for their commit) run in a last stage of the
    // same check phase; a setImmediate would wait for the whole next turn, its I/O included.
    else if (running) atTurnEnd(TurnStage.Write, this.#flush);
    else setImmediate(this.#flush);
  }

  #runAll(): void {
    const queue = this.#queue.splice(0);
    for (let i = 0; i < queue.length; i += 3) {
      try {
        (queue[i] as (a: unknown, b: unknown) => void)(queue[i + 1], queue[i + 2]);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
