/**
 * Checks of one secret (one account from one address) run one at a time, in arrival order, within a process: each
 * check reads the failure counts that the checks before it left, so parallel guesses are counted like sequential
 * ones, and parallel right passwords wait a moment instead of being refused. Created at start and passed in.
 */
export class OneAtATime {
  readonly #queues = new Map<string, Array<() => void>>();
  readonly #maxWaiting: number;
  readonly #maxHoldMs: number;

  /**
   * `maxWaiting`: checks that may wait for one key; beyond that `enter` answers undefined (a flood, not people).
   * `maxHoldMs`: a turn not given back by then is taken back, so that a check that never settles blocks no one.
   */
  constructor(options: { maxWaiting?: number; maxHoldMs?: number } = {}) {
    this.#maxWaiting = options.maxWaiting ?? 20;
    this.#maxHoldMs = options.maxHoldMs ?? 90_000;
  }

  /** Waits for the turn of `key`; the returned function gives it back (once). undefined: too many are waiting. */
  async enter(key: string): Promise<(() => void) | undefined> {
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(key, queue);
      return this.#turn(key);
    }
    if (queue.length >= this.#maxWaiting) return undefined;
    await new Promise<void>((resolve) => (queue as Array<() => void>).push(resolve));
    return this.#turn(key);
  }

  /** Keys with a check under way (tests). */
  get busy(): number {
    return this.#queues.size;
  }

  #turn(key: string): () => void {
    let given = false;
    const timer = setTimeout(() => giveBack(), this.#maxHoldMs);
    timer.unref();
    const giveBack = () => {
      if (given) return;
      given = true;
      clearTimeout(timer);
      const queue = this.#queues.get(key);
      const next = queue?.shift();
      if (next) next();
      else this.#queues.delete(key);
    };
    return giveBack;
  }
}
