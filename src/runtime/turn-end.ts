/**
 * The end of the event-loop turn: work put off until the turn's check phase, then done all together, in stages.
 * One TurnEnd per server, created in http/server.ts and handed to the store (the SQLite group commit), the key ring
 * and the app, so that their stages order against each other; a process may hold several, each independent.
 *
 * Stages, in this order:
 * - Sign (keys/key-ring.ts): the tokens of the turn are signed back to back.
 * - Commit (storage/sqlite/group-commit.ts): the writes of the turn run and commit in one transaction, and the read
 *   transaction shared by the turn's reads ends. A writer's promise settles only after its COMMIT.
 * - Write (http/app.ts, through an unstaged TurnQueue): the answers that waited for a stage.
 * A stage runs only when no earlier stage has work left, and the continuations of a stage's tasks (microtasks and
 * ticks) run before the next stage: a token signed in Sign is stored in the batch that commits in the same turn.
 *
 * Invariant: no answer leaves before the write it reports is committed. A write settles its caller in the Commit
 * stage, after COMMIT; an answer deferred from that continuation goes out in the Write stage, which runs after every
 * Sign and Commit task of the turn, in the same check phase (never a turn later, never before the commit). Answers
 * ready in the poll phase (they waited for no stage) go out in a check-phase callback of their own.
 *
 * Nothing waits longer than the rest of its own turn; a lone request on an idle server waits for nothing.
 * PostgreSQL commits each statement before its promise settles, so its store schedules nothing here.
 * `TurnEnd.immediate()` runs the same stages in a microtask instead of the check phase, for unit tests.
 * What this buys is measured in bench/README.md ("What the end of the turn buys").
 */
export const TurnStage = { Sign: 0, Commit: 1, Write: 2 } as const;
export type TurnStage = (typeof TurnStage)[keyof typeof TurnStage];

/** Stage runs in one check phase before the rest waits for the next turn, so that I/O is never starved. */
const MAX_STAGE_RUNS = 12;

type Start = (task: () => void) => void;

const inCheckPhase: Start = (task) => setImmediate(task);

export class TurnEnd {
  /** One list of tasks per stage. */
  readonly #pending: Array<Array<() => void>> = [[], [], []];
  readonly #start: Start;
  #scheduled = false;
  #running = false;
  #runsLeft = MAX_STAGE_RUNS;
  readonly #run = (): void => this.#runStages();
  readonly #afterContinuations = (): void => {
    process.nextTick(this.#run);
  };

  /** `start` runs the stages once the current code is done: by default in this turn's check phase. */
  constructor(start: Start = inCheckPhase) {
    this.#start = start;
  }

  /** The same stages, run in a microtask instead of the check phase (unit tests). */
  static immediate(): TurnEnd {
    return new TurnEnd(queueMicrotask);
  }

  /** True while the stages run (their tasks, and the continuations those tasks start). */
  get running(): boolean {
    return this.#running;
  }

  /** Runs `task` at the end of this turn, in `stage`, after the tasks of that stage added before it. */
  at(stage: TurnStage, task: () => void): void {
    (this.#pending[stage] as Array<() => void>).push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#runsLeft = MAX_STAGE_RUNS;
      this.#start(this.#run);
    }
  }

  /**
   * Runs `task` at the end of this turn outside the stages: while they run (an answer that waited for a commit),
   * in the Write stage of the same check phase; else in a callback of its own.
   */
  alone(task: () => void): void {
    if (this.#running) this.at(TurnStage.Write, task);
    else this.#start(task);
  }

  /** A queue of calls put off to `stage` of this turn end, or outside the stages (answers) without one. */
  queue(stage: TurnStage | undefined, onError: (error: unknown) => void): TurnQueue {
    return new TurnQueue(this, stage, onError);
  }

  #runStages(): void {
    const stage = this.#pending.findIndex((tasks) => tasks.length > 0);
    if (stage < 0) {
      this.#scheduled = false;
      this.#running = false;
      return;
    }
    if (this.#runsLeft === 0) {
      this.#running = false;
      this.#runsLeft = MAX_STAGE_RUNS;
      setImmediate(this.#run);
      return;
    }
    this.#running = true;
    this.#runsLeft -= 1;
    for (const task of (this.#pending[stage] as Array<() => void>).splice(0)) {
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
    queueMicrotask(this.#afterContinuations);
  }
}

/** Calls put off to one stage of the end of the turn, in the order they were put off. */
export class TurnQueue {
  /** Flat triples (function, first argument, second argument): no closure per item. */
  readonly #queue: unknown[] = [];
  readonly #turnEnd: TurnEnd;
  readonly #stage: TurnStage | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #flush = (): void => this.#runAll();

  /**
   * `stage`: where in the end of the turn the calls run; without one, outside the stages (TurnEnd.alone).
   * `onError` receives what a deferred call throws; the calls after it still run.
   */
  constructor(turnEnd: TurnEnd, stage: TurnStage | undefined, onError: (error: unknown) => void) {
    this.#turnEnd = turnEnd;
    this.#stage = stage;
    this.#onError = onError;
  }

  /** Calls `fn(a, b)` at the end of this turn, after the calls deferred before it. */
  defer<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    this.#queue.push(fn, a, b);
    if (this.#queue.length !== 3) return;
    if (this.#stage !== undefined) this.#turnEnd.at(this.#stage, this.#flush);
    else this.#turnEnd.alone(this.#flush);
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
