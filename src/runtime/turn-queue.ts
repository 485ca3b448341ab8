/**
 * Work put off to the end of the current event-loop turn (its check phase) and then done all together, in the
 * order it was put off. A turn handles every request that arrived since the last one, dozens under load; doing
 * one kind of work for all of them at once is cheaper than doing it request by request:
 * - writing the answers (http/app.ts): written one by one, each answer wakes the peer (a proxy, a load
 *   balancer, a client on this host) to read it, and on a virtual machine waking another core costs more than
 *   the write itself. Written together, they wake it once. Introspection in the benchmark: 113 -> 65 µs of
 *   server CPU per request.
 * - signing tokens (keys/key-ring.ts): an ECDSA P-256 signature streams OpenSSL's 150 KB table of precomputed
 *   points through the core's caches, evicting what the rest of the request needs. Signing the turn's tokens
 *   back to back pays for that once. Client credentials with ES256 JWTs: 180-199 -> 134-139 µs per request.
 * Nothing waits longer than the rest of its own turn, which is already under way; a lone request on an idle
 * server waits for nothing. The SQLite group commit (storage/sqlite/group-commit.ts) works the same way.
 */
export class TurnQueue {
  /** Flat triples (function, first argument, second argument): no closure per item. */
  readonly #queue: unknown[] = [];
  readonly #onError: (error: unknown) => void;
  readonly #flush = (): void => this.#runAll();

  /** `onError` receives what a deferred call throws; the calls after it still run. */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Calls `fn(a, b)` at the end of this turn, after the calls deferred before it. */
  defer<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    this.#queue.push(fn, a, b);
    if (this.#queue.length === 3) setImmediate(this.#flush);
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
