/**
 * Writes the answers of one event-loop turn together, at the end of that turn (in its check phase), rather
 * than each as soon as it is ready. A turn handles every request that arrived since the last one (dozens under
 * load); written one by one, each answer wakes the peer (a load balancer, a proxy, a client on this host) to
 * read it, and on a virtual machine each wake-up of another core costs more than the write itself. Written
 * together, they wake it once. The benchmark's introspection went from about 113 to 65 µs of server CPU per
 * request (bench/README.md). An answer waits at most for the rest of its turn, which is already under way; a
 * lone request on an idle server waits for nothing. This is the same idea as the SQLite group commit, whose
 * answers also go out at the end of the turn.
 */
export class TurnWrites {
  /** Flat triples (function, first argument, second argument): no closure per answer. */
  readonly #queue: unknown[] = [];
  readonly #onError: (error: unknown) => void;
  readonly #flush = (): void => this.#writeAll();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Calls `write(a, b)` at the end of this turn, after the writes deferred before it. */
  defer<A, B>(write: (a: A, b: B) => void, a: A, b: B): void {
    this.#queue.push(write, a, b);
    if (this.#queue.length === 3) setImmediate(this.#flush);
  }

  #writeAll(): void {
    const queue = this.#queue.splice(0);
    for (let i = 0; i < queue.length; i += 3) {
      try {
        (queue[i] as (a: unknown, b: unknown) => void)(queue[i + 1], queue[i + 2]);
      } catch (error) {
        // One failed write must not hold back the others of the turn.
        this.#onError(error);
      }
    }
  }
}
